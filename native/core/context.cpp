#include "context.h"
#include "error.h"

namespace tf {

namespace detail {
thread_local Context* t_current TF_TLS_MODEL = nullptr;
Context& default_context() {
  static thread_local Context t_default;
  return t_default;
}
}  // namespace detail

using detail::t_current;

void set_current_context(Context* c) { t_current = c; }

CallScope::CallScope() {
  Context& c = ctx();
  prev_device_ = c.device;
  prev_noted_ = c.device_noted;
  c.device = Device::CPU;
  c.device_noted = false;
}
CallScope::~CallScope() {  // restores the enclosing call's state (a handle built inside a call is a call too)
  Context& c = ctx();
  c.device = prev_device_;
  c.device_noted = prev_noted_;
}

void note_call_device(Device d) {
  Context& c = ctx();
  if (!c.device_noted) {
    c.device = d;
    c.device_noted = true;
    return;
  }
  TF_CHECK(c.device == d || c.devices_may_differ, Device, "expected all tensors on one device, got ", device_name(c.device), " and ",
           device_name(d), " (move one with .to('", device_name(c.device), "'))");
}

ContextScope::ContextScope(Context* c) : prev_(t_current) { t_current = c; }
ContextScope::~ContextScope() { t_current = prev_; }

}  // namespace tf
