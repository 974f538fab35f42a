using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SessionBuddy.Messaging.Data;
using SessionBuddy.ServiceDefaults.Data;

namespace SessionBuddy.ServiceDefaults.Tests;

[TestFixture]
public sealed class MigrationTests
{
    [Test]
    public async Task ReplicasStartingAtOnceApplyEachMigrationExactlyOnce()
    {
        var connectionString = await Infrastructure.Current.CreateDatabaseAsync("migrations");
        var migrations = new DatabaseMigrations("migrations", typeof(MigrationTests).Assembly);

        // Five replicas, each with its own connection pool, as separate processes would have.
        var replicas = Enumerable.Range(0, 5).Select(_ => NpgsqlDataSource.Create(connectionString)).ToList();
        try
        {
            await Task.WhenAll(replicas.Select(dataSource =>
                new DatabaseMigrator(dataSource, migrations, [Outbox.Migrations], NullLogger<DatabaseMigrator>.Instance).StartAsync(CancellationToken.None)));
        }
        finally
        {
            foreach (var dataSource in replicas)
            {
                await dataSource.DisposeAsync();
            }
        }

        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var versions = db.CreateCommand("SELECT version FROM schema_migrations ORDER BY applied_at");
        var applied = new List<string>();
        await using (var reader = await versions.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                applied.Add(reader.GetString(0));
            }
        }
        // The outbox's tables keep the version they had when ServiceDefaults held them (now SessionBuddy.Messaging's).
        Assert.That(applied, Is.EqualTo(new[]
        {
            "SessionBuddy.ServiceDefaults/0000_outbox_inbox",
            "SessionBuddy.ServiceDefaults/0000_scheduled_runs",
            "SessionBuddy.ServiceDefaults.Tests/0001_widgets",
            "SessionBuddy.ServiceDefaults.Tests/0002_widget_colour",
        }));

        // The schema is whole: the last migration's column exists.
        await using var insert = db.CreateCommand("INSERT INTO widgets (id, name, colour) VALUES (1, 'w', 'red')");
        Assert.That(await insert.ExecuteNonQueryAsync(), Is.EqualTo(1));
    }

    [Test]
    public async Task RestartingAppliesOnlyNewMigrations()
    {
        var connectionString = await Infrastructure.Current.CreateDatabaseAsync("restart");
        await using var db = NpgsqlDataSource.Create(connectionString);
        var migrator = new DatabaseMigrator(db, new DatabaseMigrations("restart", typeof(MigrationTests).Assembly), [Outbox.Migrations], NullLogger<DatabaseMigrator>.Instance);

        await migrator.StartAsync(CancellationToken.None);
        await using (var insert = db.CreateCommand("INSERT INTO widgets (id, name) VALUES (1, 'kept')"))
        {
            await insert.ExecuteNonQueryAsync();
        }
        await migrator.StartAsync(CancellationToken.None);

        await using var count = db.CreateCommand("SELECT count(*) FROM widgets");
        Assert.That(await count.ExecuteScalarAsync(), Is.EqualTo(1L), "data survives a restart; nothing re-ran");
    }

    [Test]
    public async Task ADatabaseMigratedBeforeTheOutboxMovedToMessagingRunsNothingAgain()
    {
        var connectionString = await Infrastructure.Current.CreateDatabaseAsync("premove");
        await using var db = NpgsqlDataSource.Create(connectionString);
        // What the migrator left when the outbox's script was embedded in ServiceDefaults (its tables, their version rows).
        await using (var before = db.CreateCommand(
            """
            CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
            CREATE TABLE outbox_messages (id uuid PRIMARY KEY, message_type text NOT NULL, payload jsonb NOT NULL,
                created_at timestamptz NOT NULL DEFAULT clock_timestamp(), dispatched_at timestamptz, attempts int NOT NULL DEFAULT 0, last_error text);
            CREATE TABLE inbox_messages (message_id uuid NOT NULL, consumer text NOT NULL, processed_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (message_id, consumer));
            INSERT INTO outbox_messages (id, message_type, payload) VALUES (gen_random_uuid(), 'pending', '{}');
            INSERT INTO schema_migrations (version) VALUES ('SessionBuddy.ServiceDefaults/0000_outbox_inbox');
            """))
        {
            await before.ExecuteNonQueryAsync();
        }

        // Re-running the outbox's script would fail on its CREATE TABLE; a new version would be a row of its own.
        await new DatabaseMigrator(db, new DatabaseMigrations("premove", typeof(MigrationTests).Assembly), [Outbox.Migrations], NullLogger<DatabaseMigrator>.Instance)
            .StartAsync(CancellationToken.None);

        await using var versions = db.CreateCommand("SELECT count(*) FROM schema_migrations WHERE version LIKE '%outbox%'");
        Assert.That(await versions.ExecuteScalarAsync(), Is.EqualTo(1L), "the outbox's migration is recorded once, under its old version");
        await using var pending = db.CreateCommand("SELECT count(*) FROM outbox_messages");
        Assert.That(await pending.ExecuteScalarAsync(), Is.EqualTo(1L), "the pending row is still there");
    }
}
