//! End-to-end tests of the platform live in `tests/`: they start the services themselves on
//! loopback, against the test bed's PostgreSQL and broker.
