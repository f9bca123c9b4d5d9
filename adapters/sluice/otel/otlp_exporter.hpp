// An OTLP/HTTP trace exporter (JSON body, Boost.Beast): the engine's span sink puts finished
// spans into a bounded queue and returns at once; a coroutine on the application's executor sends
// them in batches to a collector (default http://127.0.0.1:4318/v1/traces, Jaeger's OTLP port).
// A failed batch is retried with backoff; after max_attempts it is dropped and counted, so a
// collector that is down costs dropped spans, never a blocked or failed message. A full queue
// drops new spans (counted) for the same reason.
//
//   sluice::otel::otlp_exporter exporter(ioc.get_executor(), {});
//   options.tracing.sink = exporter.sink();
//   exporter.start();   ...   exporter.stop();   // after the engine has stopped
//
// Thread-safety: sink() may be called from any thread; start/stop/stats from any one thread.
#pragma once

#include <sluice/options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace sluice::otel {

struct otlp_exporter_options {
  std::string endpoint = "http://127.0.0.1:4318/v1/traces";
  std::string service_name = "sluice";
  std::string service_instance;  // service.instance.id; empty: not sent
  std::size_t max_queue = 8192;  // spans waiting to be sent; more are dropped
  std::size_t max_batch = 512;   // spans per request
  std::chrono::milliseconds flush_interval{1000};
  std::chrono::milliseconds request_timeout{2000};
  int max_attempts = 3;                          // per batch, then it is dropped
  std::chrono::milliseconds retry_initial{200};  // doubled after each failed attempt
  // Also appends every request body, one JSON line each, to this file (demos and debugging
  // without a collector; written on the executor, so not for production). Empty: no copy.
  std::string copy_to_file;
};

struct otlp_exporter_stats {
  std::uint64_t exported = 0;        // spans the collector accepted
  std::uint64_t dropped_full = 0;    // spans refused because the queue was full
  std::uint64_t dropped_failed = 0;  // spans of batches that failed max_attempts times
  std::uint64_t requests = 0;        // POSTs sent
  std::uint64_t failed_requests = 0;
  std::uint64_t queued = 0;  // waiting now
  std::string last_error;
};

class otlp_exporter {
 public:
  // An endpoint that is not "http://host[:port]/path" is errc::invalid_argument from start().
  otlp_exporter(const boost::asio::any_io_executor& ex, otlp_exporter_options options);
  ~otlp_exporter();
  otlp_exporter(const otlp_exporter&) = delete;
  otlp_exporter& operator=(const otlp_exporter&) = delete;

  [[nodiscard]] span_sink sink() const;
  [[nodiscard]] boost::system::error_code start();
  // Sends what is queued (one more round, best effort) and ends the sending coroutine.
  void stop();
  [[nodiscard]] otlp_exporter_stats stats() const;

  struct state;

 private:
  std::shared_ptr<state> state_;
};

}  // namespace sluice::otel
