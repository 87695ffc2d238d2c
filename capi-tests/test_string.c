#include "capi.h"
void register_string(void) {}
