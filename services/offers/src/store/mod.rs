//! The offers service's PostgreSQL storage: queries returning domain types, every one exercised
//! by a test against the test bed's database. [`search`] serves the website's browsing.

pub mod search;
