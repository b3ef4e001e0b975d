#include "grad_mode.h"

namespace tf {
namespace {
thread_local bool t_grad_enabled = true;
}
bool GradMode::enabled() { return t_grad_enabled; }
void GradMode::set(bool on) { t_grad_enabled = on; }
}  // namespace tf
