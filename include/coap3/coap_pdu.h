/* libcoap-3 declares its API across several headers; here coap.h holds it all. */
#include <coap3/coap.h>
