#include "capi.h"
void register_mem(void) {}
