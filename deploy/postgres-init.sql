-- One database and one owner per service: no service can read another's tables.
CREATE ROLE offers LOGIN PASSWORD 'offers';
CREATE DATABASE offers OWNER offers;
CREATE ROLE candidates LOGIN PASSWORD 'candidates';
CREATE DATABASE candidates OWNER candidates;
CREATE ROLE matching LOGIN PASSWORD 'matching';
CREATE DATABASE matching OWNER matching;
CREATE ROLE notifications LOGIN PASSWORD 'notifications';
CREATE DATABASE notifications OWNER notifications;
