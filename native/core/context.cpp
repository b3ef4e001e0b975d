#include "context.h"

namespace tf {

namespace {
thread_local Context t_default;
thread_local Context* t_current = nullptr;
}  // namespace

Context& ctx() { return t_current ? *t_current : t_default; }
void set_current_context(Context* c) { t_current = c; }

ContextScope::ContextScope(Context* c) : prev_(t_current) { t_current = c; }
ContextScope::~ContextScope() { t_current = prev_; }

}  // namespace tf
