// The engine state a caller owns: grad mode, the forward-mode level, the random generator, and the bytes its
// tensors hold (what a JS environment reports to V8). Each front door owns its contexts: the addon one per JS
// environment (AddonData), a C API one per tf_context. The engine reads the calling thread's current context
// through ctx(); a front door makes its context current with ContextScope, or set_current_context for the
// life of a thread (the addon does this once per environment, since Node runs each on its own thread). Threads
// that never set one (pool workers, plain C++ callers) get a default context of their own, so ctx() is never null.
#pragma once
#include <cstdint>
#include "dtype.h"

namespace tf {

struct Generator {
  uint64_t seed = 0x853c49e6748fea9bULL;
  uint64_t calls = 0;
};

struct Context {
  bool grad_enabled = true;
  uint64_t fw_level = 0;       // id of the active dual level (0: none)
  uint64_t fw_next_level = 1;
  int fw_suspended = 0;        // > 0 inside a tangent rule
  Generator gen;
  int64_t external_bytes = 0;  // storage bytes allocated minus freed while this context was current
  Device device = Device::CPU; // where new tensors go, and so which backend runs: the current call's device
  bool device_noted = false;   // a tensor argument of the current call has set `device`
  bool devices_may_differ = false;  // the current call takes tensors of several devices (autograd's grad/backward)
};

// The TLS model of the current-context pointer. initial-exec makes reading it one load (every op reads it several
// times; the general model costs a __tls_get_addr call per read in a shared library), but marks the library
// STATIC_TLS: its whole TLS block must then fit glibc's small static surplus when Node dlopens it. The static cudart
// brings a page-aligned 4 KiB TLS block that does not fit ("cannot allocate memory in static TLS block"), so the
// CUDA build keeps the general model.
#if defined(TF_CUDA)
#define TF_TLS_MODEL
#else
#define TF_TLS_MODEL __attribute__((tls_model("initial-exec")))
#endif

namespace detail {
// The current context of this thread: one pointer (see TF_TLS_MODEL).
extern thread_local Context* t_current TF_TLS_MODEL;
Context& default_context();  // this thread's own, for threads that never set one
}  // namespace detail

inline Context& ctx() {
  Context* c = detail::t_current;
  return c ? *c : detail::default_context();
}
// c = nullptr restores the calling thread's default context.
void set_current_context(Context* c);

// One call through a front door: its tensor arguments must all be on one device, and everything the call creates
// goes to that device (cpu for a call without tensor arguments). The front door notes each tensor argument.
class CallScope {
 public:
  CallScope();
  ~CallScope();
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

 private:
  Device prev_device_;
  bool prev_noted_;
};
// The first tensor argument sets the call's device; a later one on another device is TF_DEVICE, unless the call
// allows several (AllowMixedDevices: backward and grad, whose graph may cross devices; each node then runs on
// its own device).
void note_call_device(Device d);
class AllowMixedDevices {
 public:
  AllowMixedDevices() { ctx().devices_may_differ = true; }
  ~AllowMixedDevices() { ctx().devices_may_differ = false; }
  AllowMixedDevices(const AllowMixedDevices&) = delete;
  AllowMixedDevices& operator=(const AllowMixedDevices&) = delete;
};

// Runs a scope on device d (new tensors go there), restoring the call's device after. The autograd engine runs
// each node's backward under one.
class DeviceScope {
 public:
  explicit DeviceScope(Device d) : prev_(ctx().device) { ctx().device = d; }
  ~DeviceScope() { ctx().device = prev_; }
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;

 private:
  Device prev_;
};

// Makes c current for a scope (and restores the previous one on exit, also on exceptions).
class ContextScope {
 public:
  explicit ContextScope(Context* c);
  ~ContextScope();
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;

 private:
  Context* prev_;
};

}  // namespace tf
