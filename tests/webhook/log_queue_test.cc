// LogQueue on real pipes: order, batching, urgency, a stalled or vanished
// reader.
#include "webhook/log_queue.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>

namespace seiguard {
namespace {

using namespace std::chrono_literals;

class Pipe {
 public:
  Pipe() { EXPECT_EQ(::pipe(fds_), 0); }
  ~Pipe() {
    CloseRead();
    if (fds_[1] >= 0) ::close(fds_[1]);
  }
  int write_fd() const { return fds_[1]; }
  void CloseRead() {
    if (fds_[0] >= 0) ::close(fds_[0]);
    fds_[0] = -1;
  }
  // Everything readable within `wait` (then until the pipe is quiet).
  std::string Drain(std::chrono::milliseconds wait) {
    std::string out;
    char buf[4096];
    int timeout = static_cast<int>(wait.count());
    for (;;) {
      pollfd p{fds_[0], POLLIN, 0};
      if (::poll(&p, 1, timeout) <= 0) return out;
      ssize_t n = ::read(fds_[0], buf, sizeof buf);
      if (n <= 0) return out;
      out.append(buf, static_cast<size_t>(n));
      timeout = 50;
    }
  }
  // Fills the pipe until a write would block, as a reader that stopped would.
  void Fill() {
    int flags = ::fcntl(fds_[1], F_GETFL);
    ::fcntl(fds_[1], F_SETFL, flags | O_NONBLOCK);
    std::string junk(4096, 'x');
    while (::write(fds_[1], junk.data(), junk.size()) > 0) {
    }
    ::fcntl(fds_[1], F_SETFL, flags);
  }

 private:
  int fds_[2] = {-1, -1};
};

size_t Lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

TEST(LogQueue, WritesEveryLineInOrder) {
  Pipe pipe;
  LogQueue queue({pipe.write_fd(), 1 << 20, 512, 50ms});
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    std::string line = "line " + std::to_string(i) + "\n";
    ASSERT_TRUE(queue.Push(line, false));
    expected += line;
  }
  ASSERT_TRUE(queue.Flush(2s));
  EXPECT_EQ(pipe.Drain(1s), expected);
  EXPECT_EQ(queue.dropped(), 0u);
}

TEST(LogQueue, BelowTheThresholdWaitsForTheIntervalOrAFlush) {
  Pipe pipe;
  LogQueue queue({pipe.write_fd(), 1 << 20, 1 << 16, 60s});
  ASSERT_TRUE(queue.Push("quiet\n", false));
  EXPECT_EQ(pipe.Drain(200ms), "");  // nobody was woken for one line
  ASSERT_TRUE(queue.Flush(2s));
  EXPECT_EQ(pipe.Drain(1s), "quiet\n");
}

TEST(LogQueue, ThresholdOrAnUrgentLineWakesTheWriter) {
  Pipe pipe;
  LogQueue queue({pipe.write_fd(), 1 << 20, 100, 60s});
  std::string line(60, 'a');
  line += '\n';
  ASSERT_TRUE(queue.Push(line, false));
  ASSERT_TRUE(queue.Push(line, false));  // 122 bytes >= 100
  EXPECT_EQ(pipe.Drain(5s), line + line);
  ASSERT_TRUE(queue.Push("warning\n", true));
  EXPECT_EQ(pipe.Drain(5s), "warning\n");
}

TEST(LogQueue, AStalledReaderDropsLinesNeverBlocks) {
  Pipe pipe;
  pipe.Fill();
  LogQueue queue({pipe.write_fd(), 1024, 256, 10ms});
  size_t accepted = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 10000; ++i) accepted += queue.Push("a decision line of some length\n", false) ? 1 : 0;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_LT(accepted, 10000u);
  EXPECT_EQ(queue.dropped(), 10000u - accepted);
  EXPECT_FALSE(queue.Flush(100ms));  // the reader is still stuck
  // The reader comes back: what was accepted arrives, after the filler.
  std::string all = pipe.Drain(1s);
  ASSERT_TRUE(queue.Flush(5s));
  all += pipe.Drain(1s);
  EXPECT_EQ(Lines(all), accepted);
}

TEST(LogQueue, StoppingWithAStuckReaderGivesUpInsteadOfHanging) {
  Pipe pipe;
  pipe.Fill();
  auto start = std::chrono::steady_clock::now();
  {
    LogQueue queue({pipe.write_fd(), 1 << 20, 1 << 16, 60s});
    ASSERT_TRUE(queue.Push("never read\n", false));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(LogQueue, AReaderThatIsGoneCountsTheLinesAsDropped) {
  signal(SIGPIPE, SIG_IGN);  // as `seiguard serve` does
  Pipe pipe;
  pipe.CloseRead();
  LogQueue queue({pipe.write_fd(), 1 << 20, 1 << 16, 60s});
  ASSERT_TRUE(queue.Push("one\n", false));
  ASSERT_TRUE(queue.Push("two\n", false));
  ASSERT_TRUE(queue.Flush(2s));
  EXPECT_EQ(queue.dropped(), 2u);
}

}  // namespace
}  // namespace seiguard
