-- bench/pgbench_ingest.sql
--	  pgbench script: one autoplay_ingest call with one body chosen at
--	  random from bench.payloads.  Run with -D n=<number of payloads>.
\set id random(1, :n)
SELECT autoplay_ingest(body) -> 'accepted' FROM bench.payloads WHERE id = :id;
