#include "capi.h"
void register_encode(void) {}
