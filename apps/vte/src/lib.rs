//! The VTE platform as people run it: [`platform`] starts the four services in one process with
//! an embedded PostgreSQL and Kafka-protocol broker; [`cli`] is the command-line client
//! (tokens, a school's CSV import, an offer from a file, rankings, label decisions,
//! notifications, dead letters), over a [`connection`] to the services; [`demo`] loads a
//! realistic demo data set; [`mailbox`] catches the email the embedded platform sends;
//! [`data_dir`] keeps a data directory to one run at a time.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool prints its results"
)]

pub mod cli;
pub mod connection;
pub mod data_dir;
pub mod demo;
pub mod mailbox;
pub mod platform;
