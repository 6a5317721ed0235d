-- docker-compose.yml's PostgreSQL: one database and one owner per service, and no way into
-- another service's database. Each service migrates its own database at start-up (the event
-- backbone's tables, versions below 1000, then its own, from 1000). Passwords are for the
-- development stack only; production databases and roles are provisioned by their operator.
CREATE ROLE offers LOGIN PASSWORD 'offers';
CREATE DATABASE offers OWNER offers;
REVOKE ALL ON DATABASE offers FROM PUBLIC;

CREATE ROLE candidates LOGIN PASSWORD 'candidates';
CREATE DATABASE candidates OWNER candidates;
REVOKE ALL ON DATABASE candidates FROM PUBLIC;

CREATE ROLE matching LOGIN PASSWORD 'matching';
CREATE DATABASE matching OWNER matching;
REVOKE ALL ON DATABASE matching FROM PUBLIC;

CREATE ROLE notifications LOGIN PASSWORD 'notifications';
CREATE DATABASE notifications OWNER notifications;
REVOKE ALL ON DATABASE notifications FROM PUBLIC;
