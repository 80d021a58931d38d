// Ring buffer and perf buffer records while the command runs: consumed through the CLI's own mapping of the
// maps' shared regions, printed as hex or with --format.
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "btf_json.hpp"
#include "cli.hpp"
#include "trace.hpp"
#include "trace_format.hpp"
#include "ubee/perf_buffer.hpp"
#include "ubee/ringbuf.hpp"

namespace ubee::cli {

struct TraceBuffers::Impl {
  std::string format;
  TraceOutput& out;
  std::vector<RingBufConsumer> rings;
  std::vector<std::string> ring_names;  // the consumers do not know their map's name
  std::vector<PerfBufferConsumer> perfs;

  void record(const std::string& kind, const std::string& map, std::span<const std::uint8_t> data) {
    const std::string text = format.empty() ? "" : format_record(format, data);
    std::string hex;
    for (std::size_t i = 0; i < data.size(); ++i) hex += fmt::format("{}{:02x}", i ? " " : "", data[i]);
    nlohmann::json j{{"type", kind}, {"map", map}, {"data", hex_bytes(data)}};
    if (!format.empty()) j["text"] = text;
    out.event(format.empty() ? map + ": " + hex : text, j.dump());
  }
};

TraceBuffers::TraceBuffers(const Object& object, const std::string& format, TraceOutput& out)
    : impl_(std::make_unique<Impl>(Impl{format, out, {}, {}, {}})) {
  for (const auto& map : object.maps()) {
    const std::string name = map->spec().name;
    if (map->type() == BPF_MAP_TYPE_RINGBUF) {
      auto consumer = RingBufConsumer::open(static_cast<const RingBufMap&>(*map));
      if (!consumer) fail(consumer.error());
      impl_->rings.push_back(std::move(*consumer));
      impl_->ring_names.push_back(name);
    } else if (map->type() == BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
      Impl* impl = impl_.get();
      auto consumer = PerfBufferConsumer::open(
          std::static_pointer_cast<PerfEventArrayMap>(map),
          [impl, name](std::uint32_t, const void* data, std::uint32_t size) {
            impl->record("perf", name, {static_cast<const std::uint8_t*>(data), size});
          },
          [impl, name](std::uint32_t cpu, std::uint64_t lost) {
            impl->out.event(fmt::format("ubee: warning: perf buffer '{}' lost {} samples on CPU {}", name, lost, cpu),
                            nlohmann::json{{"type", "lost"}, {"map", name}, {"cpu", cpu}, {"lost", lost}}.dump());
          });
      if (!consumer) fail(consumer.error());
      impl_->perfs.push_back(std::move(*consumer));
    }
  }
}

TraceBuffers::~TraceBuffers() = default;

void TraceBuffers::consume() {
  for (std::size_t i = 0; i < impl_->rings.size(); ++i) {
    impl_->rings[i].consume([this, i](const void* data, std::uint32_t size) {
      impl_->record("ringbuf", impl_->ring_names[i], {static_cast<const std::uint8_t*>(data), size});
      return 0;
    });
  }
  for (PerfBufferConsumer& c : impl_->perfs) c.consume();
}

}  // namespace ubee::cli
