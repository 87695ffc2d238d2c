//! Sans-IO CoAP protocol core: no sockets, no clock reads, no FFI types.
