// gan/log.h — where the trainer's messages go. The library never prints: it
// hands each message to a LogSink, and the program that owns the run decides
// (apps/train.cpp prints to the console, honours --quiet and keeps
// OUT/train.log). Without a sink, messages are dropped.
//
//   Progress  the periodic "[step 200/1000 ...]" line (a console may overwrite it)
//   Info      resumed, stopped, evaluation results
//   Warn      divergence suspected, mode collapse suspected, rolled back
#pragma once
#include <functional>
#include <string>

namespace gantry {
namespace gan {

enum class LogLevel { Progress, Info, Warn };
using LogSink = std::function<void(LogLevel, const std::string&)>;

}  // namespace gan
}  // namespace gantry
