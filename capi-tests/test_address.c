#include "capi.h"
void register_address(void) {}
