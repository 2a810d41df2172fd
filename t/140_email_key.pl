#-------------------------------------------------------------------------
#
# 140_email_key.pl
#	  The e-mail hashing key, set as the README says, is hidden from every
#	  role but superusers, and hashing applies to every writer.
#
# The key belongs in postgresql.conf with the library preloaded, so that
# autoplay.email_key is defined, superuser-only, from the server's start.
# Set with ALTER DATABASE it would be readable by every role in
# pg_db_role_setting, and in a session that has not loaded the library it
# would be a plain placeholder that SHOW prints.
#
# t/140_email_key.pl
#
#-------------------------------------------------------------------------

use strict;
use warnings;

use Digest::SHA qw(hmac_sha256_hex);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $key = 'a long random secret';

my $node = PostgreSQL::Test::Cluster->new('email_key');
$node->init;
$node->append_conf('postgresql.conf', <<"EOC");
shared_preload_libraries = 'autoplay'
autoplay.email = 'hash'
autoplay.email_key = '$key'
EOC
$node->start;
$node->safe_psql('postgres',
	    'CREATE EXTENSION autoplay; '
	  . 'CREATE ROLE analyst LOGIN IN ROLE autoplay_reader; '
	  . 'CREATE ROLE ingester LOGIN IN ROLE autoplay_writer;');

# run_as: a query in a new session of $role; (stdout, stderr)
sub run_as
{
	my ($role, $sql) = @_;
	my ($out, $err);
	$node->psql('postgres', $sql,
		stdout => \$out, stderr => \$err,
		extra_params => [ '-U', $role ]);
	return ($out // '', $err // '');
}

# Nobody but a superuser reads the key, in any of the ways there are
for my $role (qw(analyst ingester))
{
	my ($out, $err) = run_as($role, 'SHOW autoplay.email_key');
	like($err, qr/must be superuser or have privileges of pg_read_all_settings/,
		"$role: SHOW refused");
	($out, $err) = run_as($role,
		"SELECT current_setting('autoplay.email_key')");
	like($err, qr/must be superuser/, "$role: current_setting refused");
	($out, $err) = run_as($role,
		"SELECT count(*) FROM pg_settings WHERE name = 'autoplay.email_key'");
	is($out, '0', "$role: not in pg_settings");
	($out, $err) = run_as($role, 'SELECT setconfig FROM pg_db_role_setting');
	unlike($out, qr/secret/, "$role: not in pg_db_role_setting");
}

# A writer cannot turn hashing off for its own session
# click_sql: ingest a click from " Jane@Example.com " at second $s
sub click_sql
{
	my ($s) = @_;
	return qq!SELECT autoplay_ingest('{"session_id": "1%3A2", !
	  . qq!"timestamp": "2025-10-21T14:17:$s.073Z", !
	  . qq!"user_email": " Jane\@Example.com "}')->'accepted'!;
}

my ($out, $err) = run_as('ingester',
	"SET autoplay.email = 'keep'; " . click_sql(34));
like($err, qr/permission denied to set parameter "autoplay.email"/,
	'writer: SET autoplay.email refused');

# Hashing applied: HMAC-SHA-256 of the trimmed, lowercased address
($out, $err) = run_as('ingester', click_sql(35));
is($out, '1', 'writer: click accepted') or diag($err);
is( $node->safe_psql('postgres',
		'SELECT user_email FROM autoplay.clicks ORDER BY occurred_at DESC LIMIT 1'),
	hmac_sha256_hex('jane@example.com', $key),
	'stored value is the keyed hash');

$node->stop;
done_testing();
