// gan/tensorboard.h — TensorBoard event files, written without TensorFlow or
// protobuf: `gantry train --tensorboard` logs the run's scalars (losses,
// D(x), D(G(z)), learning rates, images/s, metrics) and its sample grids to
// RUN_DIR/tb/, which `tensorboard --logdir RUN_DIR` reads.
//
// The format, as TensorBoard reads it:
//   - the file is a sequence of TFRecords: uint64 length (little-endian),
//     uint32 masked CRC-32C of those 8 bytes, the data, uint32 masked
//     CRC-32C of the data (mask: rotate right 15, add 0xa282ead8);
//   - each record's data is one `Event` protocol buffer:
//       Event { double wall_time = 1; int64 step = 2; string file_version = 3;
//               Summary summary = 5; }
//       Summary { repeated Value value = 1; }
//       Value   { string tag = 1; float simple_value = 2; Image image = 4; }
//       Image   { int32 height = 1; int32 width = 2; int32 colorspace = 3;
//                 bytes encoded_image_string = 4; }   // PNG bytes
//   - the first event carries file_version "brain.Event:2".
// The few protobuf encodings needed (varints, fixed 32/64-bit, length-
// delimited fields) are written here by hand.
//
// A resumed run starts a new file; TensorBoard drops the old file's events
// past the step where the new one starts (its "purge orphaned data" rule).
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace gantry {
namespace gan {

// CRC-32C (Castagnoli), as TFRecord uses it; crc32c("123456789") = 0xE3069283.
uint32_t crc32c(const void* data, size_t n);

class EventWriter {
 public:
  // Creates dir (and parents) and a new events.out.tfevents.<time>.gantry.<pid>
  // file in it, starting with the file_version event. Throws gantry::Error
  // naming the path when it cannot.
  explicit EventWriter(const std::string& dir);
  ~EventWriter();
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  // One scalar point of the series `tag` at `step`.
  void add_scalar(const std::string& tag, double value, int64_t step);
  // An image (PNG file bytes) at `step`; its size and channels are read from
  // the PNG header. Throws for bytes that are not a PNG.
  void add_png(const std::string& tag, const std::string& png_bytes, int64_t step);
  // Records are flushed as they are written; this also fsyncs.
  void flush();
  const std::string& path() const { return path_; }

 private:
  void write_event(const std::string& event);
  std::string path_;
  FILE* f_ = nullptr;
};

// Reads the records of an event file back (checking both CRCs of each) and
// returns their data; a test and debugging aid. Throws naming the file and
// the record for a truncated or corrupt file.
std::vector<std::string> read_tfrecords(const std::string& path);

}  // namespace gan
}  // namespace gantry
