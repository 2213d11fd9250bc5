#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/data_loader.h"
#include "data/tensor_dataset.h"
#include "framework/autograd/node.h"
#include "framework/profiler.h"
#include "helpers.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"
#include "optim/sgd.h"

namespace profiler = ember::profiler;
using profiler::Event;
using profiler::EventKind;
using ember_test::ErrorMentions;

namespace {

std::vector<Event> of_kind(const std::vector<Event>& events, EventKind kind) {
  std::vector<Event> kept;
  std::copy_if(events.begin(), events.end(), std::back_inserter(kept),
               [&](const Event& e) { return e.kind == kind; });
  return kept;
}

const Event& named(const std::vector<Event>& events, const std::string& name) {
  auto it = std::find_if(events.begin(), events.end(),
                         [&](const Event& e) { return e.name == name; });
  REQUIRE(it != events.end());
  return *it;
}

bool inside(const Event& inner, const Event& outer) {
  return inner.thread == outer.thread && inner.start_ns >= outer.start_ns &&
         inner.end_ns() <= outer.end_ns();
}

// Busy work that takes measurable time without any op.
double spin(int iterations) {
  volatile double sink = 0;
  for (int i = 0; i < iterations; ++i) sink = sink + 1e-9 * i;
  return sink;
}

}  // namespace

TEST_CASE("Nested ranges close in order and nest in time", "[profiler]") {
  profiler::Profile profile;
  {
    profiler::Range outer("outer");
    spin(20000);
    {
      profiler::Range first("inner");
      spin(20000);
    }
    {
      profiler::Range second("inner");
      profiler::Range deepest("deepest");
      spin(20000);
    }
  }
  profile.stop();
  const std::vector<Event>& events = profile.events();

  REQUIRE(events.size() == 4);
  // By start time: outer, inner, inner, deepest.
  CHECK(events[0].name == "outer");
  CHECK(events[1].name == "inner");
  CHECK(events[2].name == "inner");
  CHECK(events[3].name == "deepest");
  CHECK(inside(events[1], events[0]));
  CHECK(inside(events[2], events[0]));
  CHECK(inside(events[3], events[2]));
  CHECK(events[1].end_ns() <= events[2].start_ns);
  CHECK(events[0].kind == EventKind::Range);
  CHECK(events[0].end_ns() <= profile.duration_ns());

  // Self time is what the nested scopes leave.
  std::vector<profiler::OpStats> rows = profile.summary();
  REQUIRE(rows.size() == 3);
  std::map<std::string, profiler::OpStats> by_name;
  for (const auto& row : rows) by_name[row.name] = row;
  CHECK(by_name["inner"].calls == 2);
  CHECK(by_name["outer"].self_ns ==
        events[0].duration_ns - events[1].duration_ns - events[2].duration_ns);
  CHECK(by_name["inner"].self_ns ==
        events[1].duration_ns + events[2].duration_ns - events[3].duration_ns);
  CHECK(by_name["deepest"].self_ns == events[3].duration_ns);
  CHECK(rows.front().name == "outer");  // sorted by total time
}

TEST_CASE("Without a recording profile nothing is recorded", "[profiler]") {
  CHECK_FALSE(profiler::is_enabled());
  {
    profiler::Range before("before");
    CHECK_FALSE(before.active());
  }

  profiler::Range open_across("open across the start");
  profiler::Profile profile;
  CHECK(profiler::is_enabled());
  { profiler::Range during("during"); }
  profile.stop();
  CHECK_FALSE(profiler::is_enabled());
  { profiler::Range after("after"); }

  const std::vector<Event>& events = profile.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].name == "during");
}

TEST_CASE("A range still open when the profile stops is left out", "[profiler]") {
  profiler::Profile profile;
  {
    profiler::Range closed("closed");
  }
  auto open = std::make_unique<profiler::Range>("still open");
  profile.stop();
  open.reset();
  REQUIRE(profile.events().size() == 1);
  CHECK(profile.events()[0].name == "closed");

  // A later profile does not receive it either.
  profiler::Profile next;
  next.stop();
  CHECK(next.events().empty());
}

TEST_CASE("One profile records at a time", "[profiler]") {
  profiler::Profile first;
  CHECK_THROWS_MATCHES(profiler::Profile(), ember::Error, ErrorMentions({"already recording"}));
  first.stop();
  profiler::Profile second;  // fine once the first stopped
  CHECK(second.recording());
}

TEST_CASE("The backward pass nests under the step that runs it", "[profiler][autograd]") {
  ember::Tensor x = ember::randn({8, 4}).requires_grad_();
  ember::Tensor w = ember::randn({8, 4}).requires_grad_();

  profiler::Profile profile;
  std::string sum_node;
  std::string mul_node;
  {
    profiler::Range step("step");
    ember::Tensor loss = ember::sum(ember::mul(x, w));
    // The nodes backward will run, by name.
    sum_node = loss.grad_fn()->name();
    mul_node = loss.grad_fn()->next_edges()[0].node->name();
    loss.backward();
  }
  profile.stop();

  {
    const std::vector<Event>& events = profile.events();
    const Event& step_event = named(events, "step");
    const Event& backward = named(events, "backward");
    CHECK(backward.kind == EventKind::Backward);
    CHECK(inside(backward, step_event));

    std::vector<Event> nodes = of_kind(events, EventKind::Backward);
    std::multiset<std::string> names;
    for (const Event& node : nodes) {
      if (node.name == "backward") continue;
      names.insert(node.name);
      CHECK(inside(node, backward));
    }
    // Two leaves get their gradients through AccumulateGrad nodes.
    CHECK(names == std::multiset<std::string>{sum_node, mul_node, "AccumulateGrad",
                                              "AccumulateGrad"});
  }
}

TEST_CASE("Optimizer steps and loader batches are recorded", "[profiler][data]") {
  ember::Tensor inputs = ember::randn({40, 3});
  ember::Tensor labels = ember::zeros({40}, ember::kInt64);
  ember::data::DataLoaderOptions options;
  options.batch_size = 8;
  ember::data::DataLoader loader(ember::data::TensorDataset(inputs, labels), options);

  ember::Tensor weight = ember::randn({3}).requires_grad_();
  ember::optim::SGD sgd({weight}, {.lr = 0.1, .momentum = 0.9});

  profiler::Profile profile;
  int batches = 0;
  for (ember::data::Batch& batch : loader) {
    ember::Tensor loss = ember::sum(ember::mul(batch.input, weight));
    loss.backward();
    sgd.step();
    sgd.zero_grad();
    ++batches;
  }
  profile.stop();
  REQUIRE(batches == 5);

  std::vector<Event> steps = of_kind(profile.events(), EventKind::Optimizer);
  REQUIRE(steps.size() == 5);
  CHECK(steps[0].name == "SGD.step");
  // Reads weight, gradient and momentum buffer; writes weight and buffer:
  // 5 passes over 3 floats.
  CHECK(steps[0].bytes == 5 * 3 * 4);
  CHECK(steps[4].bytes == 5 * 3 * 4);

  std::vector<Event> loader_events = of_kind(profile.events(), EventKind::Loader);
  auto count = [&](const std::string& name) {
    return std::count_if(loader_events.begin(), loader_events.end(),
                         [&](const Event& e) { return e.name == name; });
  };
  CHECK(count("DataLoader.assemble") == 5);
  // One wait per batch, plus the last one that finds the epoch over.
  CHECK(count("DataLoader.next") >= 5);
}

TEST_CASE("Each thread has its own track", "[profiler]") {
  profiler::Profile profile;
  { profiler::Range here("on the profiling thread"); }
  std::thread other([] { profiler::Range there("on another thread"); });
  other.join();
  profile.stop();

  const Event& here = named(profile.events(), "on the profiling thread");
  const Event& there = named(profile.events(), "on another thread");
  CHECK(here.thread != there.thread);
}

TEST_CASE("The Chrome trace is JSON with one complete event per scope", "[profiler]") {
  profiler::Profile profile;
  {
    profiler::Range step("step \"quoted\"");
    profiler::add_flops(1000);  // goes to the innermost range
    {
      profiler::Range inner("inner", EventKind::Optimizer);
      profiler::add_bytes(64);
    }
  }
  std::thread other([] { profiler::Range there("worker range"); });
  other.join();
  profile.stop();

  const std::string path =
      (std::filesystem::temp_directory_path() / "ember_profiler_trace.json").string();
  profile.export_chrome_trace(path);
  std::ifstream file(path);
  nlohmann::json trace = nlohmann::json::parse(file);
  std::filesystem::remove(path);

  REQUIRE(trace.contains("traceEvents"));
  std::map<std::string, nlohmann::json> complete;
  std::set<int> named_threads;
  for (const auto& event : trace["traceEvents"]) {
    if (event["ph"] == "X") complete[event["name"].get<std::string>()] = event;
    if (event["ph"] == "M" && event["name"] == "thread_name") {
      named_threads.insert(event["tid"].get<int>());
    }
  }
  REQUIRE(complete.size() == 3);
  const auto& step = complete.at("step \"quoted\"");
  const auto& inner = complete.at("inner");
  CHECK(step["cat"] == "range");
  CHECK(inner["cat"] == "optimizer");
  CHECK(step["args"]["flops"] == 1000.0);
  CHECK(inner["args"]["bytes"] == 64.0);
  CHECK(inner["ts"].get<double>() >= step["ts"].get<double>());
  CHECK(inner["ts"].get<double>() + inner["dur"].get<double>() <=
        step["ts"].get<double>() + step["dur"].get<double>() + 1e-3);
  CHECK(step["tid"] != complete.at("worker range")["tid"]);
  // Every track is named.
  for (const auto& [name, event] : complete) CHECK(named_threads.count(event["tid"].get<int>()));
}

TEST_CASE("The table lists each op with its share and rates", "[profiler]") {
  profiler::Profile profile;
  for (int i = 0; i < 3; ++i) {
    profiler::Range matmul_like("gemm_like", EventKind::Op);
    profiler::add_flops(2e6);
    spin(5000);
  }
  profile.stop();

  profiler::TableOptions options;
  options.peak_gflops = 100;
  std::string table = profile.table(options);
  CHECK(table.find("gemm_like") != std::string::npos);
  CHECK(table.find("%peak") != std::string::npos);
  std::vector<profiler::OpStats> rows = profile.summary();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].calls == 3);
  CHECK(rows[0].flops == 6e6);
  CHECK(rows[0].gflops_per_s() ==
        Approx(6e6 / static_cast<double>(rows[0].self_ns)));
}

TEST_CASE("export_chrome_trace names the file it cannot write", "[profiler]") {
  profiler::Profile profile;
  profile.stop();
  CHECK_THROWS_MATCHES(profile.export_chrome_trace("/nonexistent-dir/trace.json"),
                       ember::Error, ErrorMentions({"/nonexistent-dir/trace.json"}));
}
