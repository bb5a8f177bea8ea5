//! Local emulator of the AWS endpoints Cubby uses.
