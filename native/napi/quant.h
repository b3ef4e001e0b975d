// Bindings of the int8 ops (ops/quant.h).
#pragma once
#include <napi.h>

namespace tfn {
void RegisterQuant(Napi::Env env, Napi::Object exports);
}
