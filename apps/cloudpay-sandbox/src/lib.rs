//! A local Cloud Pay server speaking the real protocol, for the embedded default and for tests.
