/*
 * Proves that C++ thread_local objects work with std::thread: each of 32
 * threads gets its own lazily constructed thread_local object (constructed
 * and destroyed on that thread) and its own heap-backed thread_local
 * std::string, both intact across 1000 yields; after the joins exactly 32
 * constructors and 32 destructors ran (main touches the object only
 * afterwards, which makes it 33 constructors).
 */
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "check.h"

static const int nthreads = 32;
static const int nyields = 1000;

static std::atomic<int> ctors, dtors, started;

struct tracked {
	std::thread::id owner = std::this_thread::get_id();
	int value = -1;

	tracked()
	{
		ctors++;
	}

	~tracked()
	{
		CHECK(owner == std::this_thread::get_id(),
		      "destroyed on another thread (value %d)", value);
		dtors++;
	}
};

static thread_local tracked obj;
static thread_local std::string text;

static void worker(int id)
{
	const std::string expected =
		"thread_local string of thread " + std::to_string(id);

	CHECK(obj.value == -1 && obj.owner == std::this_thread::get_id(),
	      "thread %d: fresh object has value %d", id, obj.value);
	CHECK(text.empty(), "thread %d: fresh string \"%s\"", id, text.c_str());
	obj.value = id;
	text = expected;

	started++;
	CHECK(wait_until(started.load() == nthreads, 10),
	      "only %d threads started", started.load());
	for (int i = 0; i < nyields; i++) {
		std::this_thread::yield();
		CHECK(obj.value == id && text == expected,
		      "thread %d yield %d: value %d, string \"%s\"", id, i,
		      obj.value, text.c_str());
	}
}

int main()
{
	std::vector<std::thread> threads;

	for (int i = 0; i < nthreads; i++)
		threads.emplace_back(worker, i);
	for (auto &t : threads)
		t.join();
	CHECK(ctors.load() == nthreads && dtors.load() == nthreads,
	      "%d constructors, %d destructors", ctors.load(), dtors.load());

	CHECK(obj.value == -1, "main's object has value %d", obj.value);
	CHECK(ctors.load() == nthreads + 1 && dtors.load() == nthreads,
	      "after main's touch: %d constructors, %d destructors",
	      ctors.load(), dtors.load());
	return 0;
}
