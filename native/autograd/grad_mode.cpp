#include "grad_mode.h"
#include "../core/context.h"

namespace tf {
bool GradMode::enabled() { return ctx().grad_enabled; }
void GradMode::set(bool on) { ctx().grad_enabled = on; }
}  // namespace tf
