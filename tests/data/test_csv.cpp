#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "data/csv.h"
#include "data_test_helpers.h"
#include "helpers.h"

using ember::data::CsvDataset;
using ember_test::ErrorMentions;
using ember_test::TempDir;

TEST_CASE("read_csv reads a header and rows of numbers", "[data]") {
  TempDir dir;
  ember_test::write_text(dir.file("table.csv"),
                         "a, \"b, cm\",c\r\n1,2.5,-3e2\n\n +4 ,nan,\"6\"\n");

  ember::data::CsvTable table = ember::data::read_csv(dir.file("table.csv"));

  CHECK(table.columns == std::vector<std::string>{"a", "b, cm", "c"});
  REQUIRE(table.values.shape() == ember::Shape{2, 3});
  std::vector<double> values = table.values.to_vector<double>();
  CHECK(values[0] == 1.0);
  CHECK(values[1] == 2.5);
  CHECK(values[2] == -300.0);
  CHECK(values[3] == 4.0);
  CHECK(std::isnan(values[4]));
  CHECK(values[5] == 6.0);
}

TEST_CASE("read_csv reads headerless, other delimiters and gzip", "[data]") {
  TempDir dir;
  ember_test::write_text(dir.file("plain.tsv"), "1\t2\n3\t4\n");
  std::string text = "1;2\n3;4\n";
  ember_test::write_gzip(dir.file("packed.csv.gz"), std::vector<uint8_t>(text.begin(), text.end()));

  ember::data::CsvTable tsv = ember::data::read_csv(dir.file("plain.tsv"),
                                                    {.header = false, .delimiter = '\t'});
  ember::data::CsvTable gz = ember::data::read_csv(dir.file("packed.csv.gz"),
                                                   {.header = false, .delimiter = ';'});

  CHECK(tsv.columns == std::vector<std::string>{"0", "1"});
  CHECK(tsv.values.to_vector<double>() == std::vector<double>{1, 2, 3, 4});
  CHECK(gz.values.to_vector<double>() == std::vector<double>{1, 2, 3, 4});
}

TEST_CASE("read_csv names file and line of a bad field or a ragged row", "[data]") {
  TempDir dir;
  ember_test::write_text(dir.file("word.csv"), "x,y\n1,2\n3,abc\n");
  ember_test::write_text(dir.file("ragged.csv"), "x,y\n1,2\n\n3,4,5\n");
  ember_test::write_text(dir.file("hole.csv"), "1,,3\n");

  CHECK_THROWS_MATCHES(ember::data::read_csv(dir.file("word.csv")), ember::Error,
                       ErrorMentions({"word.csv:3", "field 2", "\"abc\"", "not a number"}));
  CHECK_THROWS_MATCHES(ember::data::read_csv(dir.file("ragged.csv")), ember::Error,
                       ErrorMentions({"ragged.csv:4", "3 fields, expected 2", "line 1"}));
  CHECK_THROWS_MATCHES(ember::data::read_csv(dir.file("hole.csv"), {.header = false}),
                       ember::Error, ErrorMentions({"hole.csv:1", "empty field"}));
  CHECK_THROWS_MATCHES(ember::data::read_csv(dir.file("absent.csv")), ember::Error,
                       ErrorMentions({"read_csv", "no such file", "absent.csv"}));
}

TEST_CASE("CsvDataset splits the label column from the features", "[data]") {
  TempDir dir;
  ember_test::write_text(dir.file("iris.csv"),
                         "length,width,species,weight\n5.1,3.5,0,1\n6.2,2.9,2,2\n");

  CsvDataset by_name(dir.file("iris.csv"), {.label_name = "species"});
  CsvDataset by_index(dir.file("iris.csv"), {.label_index = -1, .label_dtype = ember::kFloat32});
  CsvDataset unlabelled(dir.file("iris.csv"));

  REQUIRE(by_name.size() == 2);
  ember::data::Example second = by_name.get(1);
  CHECK(second.input.dtype() == ember::kFloat32);
  CHECK(second.input.to_vector<float>() == std::vector<float>{6.2f, 2.9f, 2.0f});
  CHECK(second.target.dtype() == ember::kInt64);
  CHECK(second.target.item<int64_t>() == 2);
  CHECK(by_name.feature_names() == std::vector<std::string>{"length", "width", "weight"});
  CHECK(by_index.label_name() == "weight");
  CHECK(by_index.get(0).target.item<float>() == 1.0f);
  CHECK(unlabelled.get(0).input.shape() == ember::Shape{4});
  CHECK_FALSE(unlabelled.get(0).target.defined());
}

TEST_CASE("CsvDataset explains a missing or non-integer label column", "[data]") {
  TempDir dir;
  ember_test::write_text(dir.file("data.csv"), "a,b\n1,0.5\n2,1\n");
  ember_test::write_text(dir.file("header_only.csv"), "a,b\n");

  CHECK_THROWS_MATCHES(CsvDataset(dir.file("data.csv"), {.label_name = "c"}), ember::Error,
                       ErrorMentions({"no column \"c\"", "\"a\", \"b\""}));
  CHECK_THROWS_MATCHES(CsvDataset(dir.file("data.csv"), {.label_index = 2}), ember::Error,
                       ErrorMentions({"label_index 2", "2 columns"}));
  CHECK_THROWS_MATCHES(CsvDataset(dir.file("data.csv"), {.label_name = "b"}), ember::Error,
                       ErrorMentions({"data.csv:2", "label 0.5", "not a whole number"}));
  CHECK_THROWS_MATCHES(CsvDataset(dir.file("data.csv"), {.header = false, .label_name = "a"}),
                       ember::Error, ErrorMentions({"header"}));
  CHECK_THROWS_MATCHES(CsvDataset(dir.file("header_only.csv")), ember::Error,
                       ErrorMentions({"header_only.csv", "no data rows"}));
}
