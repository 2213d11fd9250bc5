#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>

#include "framework/error.h"
#include "framework/parallel.h"
#include "helpers.h"

using ember_test::ErrorMentions;

namespace {

// Sets the thread count for a scope and restores the previous one.
struct Threads {
  int previous = ember::get_num_threads();
  explicit Threads(int threads) { ember::set_num_threads(threads); }
  ~Threads() { ember::set_num_threads(previous); }
};

}  // namespace

TEST_CASE("TaskGroup runs every task by the time wait returns", "[framework][data]") {
  int threads = GENERATE(1, 2);
  Threads scope(threads);
  std::atomic<int> done{0};
  std::atomic<bool> nested_inline{true};
  ember::TaskGroup group;

  for (int i = 0; i < 20; ++i) {
    group.run([&] {
      // parallel_for inside a task stays on the task's thread.
      std::thread::id self = std::this_thread::get_id();
      ember::parallel_for(0, 1000, 1, [&](int64_t, int64_t) {
        if (std::this_thread::get_id() != self) nested_inline = false;
      });
      ++done;
    });
  }
  group.wait();

  CHECK(done == 20);
  CHECK(nested_inline);
}

TEST_CASE("TaskGroup on one thread runs its tasks on the waiting thread", "[framework][data]") {
  Threads scope(1);
  std::thread::id ran_on;
  ember::TaskGroup group;

  group.run([&] { ran_on = std::this_thread::get_id(); });
  group.wait();

  CHECK(ran_on == std::this_thread::get_id());
}

TEST_CASE("TaskGroup rethrows a task's exception in wait", "[framework][data]") {
  Threads scope(2);
  ember::TaskGroup group;

  group.run([] { throw ember::Error("task failed on purpose"); });

  CHECK_THROWS_MATCHES(group.wait(), ember::Error, ErrorMentions({"on purpose"}));
  std::atomic<int> again{0};
  group.run([&] { ++again; });
  group.wait();
  CHECK(again == 1);
}

TEST_CASE("set_num_threads refuses to rebuild the pool under pending tasks", "[framework][data]") {
  Threads scope(2);
  ember::TaskGroup group;
  group.run([] {});

  CHECK_THROWS_MATCHES(ember::set_num_threads(1), ember::Error,
                       ErrorMentions({"set_num_threads", "1 background tasks"}));
  group.wait();
  CHECK_NOTHROW(ember::set_num_threads(2));
}

TEST_CASE("set_num_threads rejects counts out of range and keeps the pool", "[framework]") {
  Threads scope(2);
  const int most = std::max(64, 4 * static_cast<int>(std::thread::hardware_concurrency()));

  CHECK_THROWS_MATCHES(ember::set_num_threads(0), ember::Error,
                       ErrorMentions({"set_num_threads", "got 0"}));
  CHECK_THROWS_MATCHES(ember::set_num_threads(most + 1), ember::Error,
                       ErrorMentions({"set_num_threads", std::to_string(most + 1)}));
  CHECK(ember::get_num_threads() == 2);
  CHECK_NOTHROW(ember::set_num_threads(most));
}
