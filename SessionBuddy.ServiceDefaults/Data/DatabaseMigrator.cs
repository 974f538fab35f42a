using System.Reflection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace SessionBuddy.ServiceDefaults.Data;

/// <summary>
/// The versioned SQL scripts of one service database: the shared tables' (ServiceDefaults' own scheduled runs and
/// every registered <see cref="SharedMigrations"/>, such as SessionBuddy.Messaging's outbox and inbox), then the service's.
/// </summary>
public sealed record DatabaseMigrations(string DatabaseName, Assembly ServiceAssembly);

/// <summary>
/// Scripts a shared library embeds (<c>Migrations/NNNN_name.sql</c>) for tables it keeps in every service database that
/// uses it; registered as a singleton, they are applied before the service's own, all shared scripts in file-name order.
/// Each is recorded as <c>{VersionOwner}/{file}</c>: a library that takes over tables from another keeps the old owner's
/// name, so databases that applied them before find them applied.
/// </summary>
public sealed record SharedMigrations(Assembly Assembly, string VersionOwner);

/// <summary>
/// Applies embedded <c>Migrations/NNNN_name.sql</c> scripts in order, each in its own transaction,
/// recording them in <c>schema_migrations</c>. A session-level advisory lock serialises replicas
/// that start at once: the second waits, then finds nothing left to do.
/// </summary>
public sealed partial class DatabaseMigrator(
    NpgsqlDataSource dataSource, DatabaseMigrations migrations, IEnumerable<SharedMigrations> sharedMigrations,
    ILogger<DatabaseMigrator> logger) : IHostedService
{
    // Any constant shared by all replicas of all services works; each database has its own locks.
    private const long MigrationLockKey = 0x5E55_10B0_DD1E;

    /// <summary>ServiceDefaults' own tables (<c>scheduled_runs</c>), in every service database.</summary>
    private static readonly SharedMigrations Own = new(typeof(DatabaseMigrator).Assembly, typeof(DatabaseMigrator).Assembly.GetName().Name!);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var shared = sharedMigrations.Prepend(Own)
            .SelectMany(source => LoadScripts(source.Assembly, source.VersionOwner))
            .DistinctBy(s => s.Version)
            .OrderBy(s => s.File, StringComparer.Ordinal)
            .ThenBy(s => s.Version, StringComparer.Ordinal);
        var scripts = shared
            .Concat(LoadScripts(migrations.ServiceAssembly, migrations.ServiceAssembly.GetName().Name!))
            .Select(s => (s.Version, s.Sql))
            .ToList();

        await using var connection = await OpenWithRetryAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection))
        {
            lockCommand.Parameters.AddWithValue("key", MigrationLockKey);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            await using (var create = new NpgsqlCommand(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                connection))
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            var applied = new HashSet<string>();
            await using (var read = new NpgsqlCommand("SELECT version FROM schema_migrations", connection))
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    applied.Add(reader.GetString(0));
                }
            }

            foreach (var (version, sql) in scripts.Where(s => !applied.Contains(s.Version)))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await using (var apply = new NpgsqlCommand(sql, connection, transaction))
                {
                    await apply.ExecuteNonQueryAsync(cancellationToken);
                }
                await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (version) VALUES (@version)", connection, transaction))
                {
                    record.Parameters.AddWithValue("version", version);
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }
                await transaction.CommitAsync(cancellationToken);
                LogApplied(migrations.DatabaseName, version);
            }
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
            unlock.Parameters.AddWithValue("key", MigrationLockKey);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }

        // Types created by a migration (e.g. the vector extension) must be visible to pooled connections.
        await connection.ReloadTypesAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task<NpgsqlConnection> OpenWithRetryAsync(CancellationToken cancellationToken)
    {
        // The database may still be starting when the service does (local runs, orchestrators).
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await dataSource.OpenConnectionAsync(cancellationToken);
            }
            // A TimeoutException is Npgsql's first connection timing out while it loads the server's types: seen on a
            // loaded machine with many replicas starting at once against a PostgreSQL just out of crash recovery.
            catch (Exception ex) when (attempt < 30 && ex is TimeoutException or NpgsqlException { IsTransient: true })
            {
                LogWaiting(migrations.DatabaseName, attempt, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    /// <summary>
    /// Scripts named <c>Migrations.NNNN_name.sql</c>, in file-name order; versions are prefixed with their owner (the
    /// assembly's name, or the name a shared library's scripts were first applied under) so owners never collide.
    /// </summary>
    private static IEnumerable<(string File, string Version, string Sql)> LoadScripts(Assembly assembly, string owner) =>
        assembly.GetManifestResourceNames()
            .Where(name => name.EndsWith(".sql", StringComparison.Ordinal) && name.Contains(".Migrations.", StringComparison.Ordinal))
            .Select(name => (Resource: name, File: name[(name.IndexOf(".Migrations.", StringComparison.Ordinal) + ".Migrations.".Length)..]))
            .OrderBy(r => r.File, StringComparer.Ordinal)
            .Select(r =>
            {
                using var stream = assembly.GetManifestResourceStream(r.Resource)!;
                using var reader = new StreamReader(stream);
                return (r.File, $"{owner}/{r.File[..^4]}", reader.ReadToEnd());
            });

    [LoggerMessage(LogLevel.Information, "Applied migration {Version} to {Database}")]
    private partial void LogApplied(string database, string version);

    [LoggerMessage(LogLevel.Warning, "Database {Database} not reachable yet (attempt {Attempt}): {Reason}")]
    private partial void LogWaiting(string database, int attempt, string reason);
}
