using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
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
                new DatabaseMigrator(dataSource, migrations, NullLogger<DatabaseMigrator>.Instance).StartAsync(CancellationToken.None)));
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
        var migrator = new DatabaseMigrator(db, new DatabaseMigrations("restart", typeof(MigrationTests).Assembly), NullLogger<DatabaseMigrator>.Instance);

        await migrator.StartAsync(CancellationToken.None);
        await using (var insert = db.CreateCommand("INSERT INTO widgets (id, name) VALUES (1, 'kept')"))
        {
            await insert.ExecuteNonQueryAsync();
        }
        await migrator.StartAsync(CancellationToken.None);

        await using var count = db.CreateCommand("SELECT count(*) FROM widgets");
        Assert.That(await count.ExecuteScalarAsync(), Is.EqualTo(1L), "data survives a restart; nothing re-ran");
    }
}
