using Npgsql;

namespace SessionBuddy.LocalSystem.Hosting;

/// <summary>
/// A private PostgreSQL server in <c>&lt;data&gt;/postgres</c> (initdb on first use, data kept between
/// runs), or an existing server reached through a superuser connection string.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string User = "postgres";
    private readonly ChildProcess? _process;

    private PostgresServer(string adminConnectionString, ChildProcess? process)
    {
        AdminConnectionString = adminConnectionString;
        _process = process;
    }

    /// <summary>Superuser connection string without a database.</summary>
    public string AdminConnectionString { get; }

    public int Port => new NpgsqlConnectionStringBuilder(AdminConnectionString).Port;

    public bool IsExternal => _process is null;

    public ChildProcess? Process => _process;

    public static async Task<PostgresServer> ConnectAsync(string superuserConnectionString, CancellationToken cancellationToken)
    {
        var server = new PostgresServer(superuserConnectionString, null);
        await server.WaitReadyAsync(TimeSpan.FromSeconds(10), cancellationToken);
        return server;
    }

    public static async Task<PostgresServer> StartAsync(PostgresServerSettings settings, CancellationToken cancellationToken)
    {
        var root = Path.Combine(settings.DataDirectory, "postgres");
        var data = Path.Combine(root, "data");
        var sockets = Path.Combine(root, "run");
        var binary = (string name) => Path.Combine(settings.BinDirectory, name);

        if (!File.Exists(Path.Combine(data, "PG_VERSION")))
        {
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true); // a half-finished initdb
            }
            var passwordFile = Path.Combine(root, "initdb-password");
            Directory.CreateDirectory(root);
            await File.WriteAllTextAsync(passwordFile, settings.Password, cancellationToken);
            ServiceAccount.PrepareDirectories(User, root, sockets);
            try
            {
                using var initdb = ChildProcess.Start(settings.Spec("postgres-initdb", binary("initdb"),
                    ["-D", data, "-U", User, "--auth=scram-sha-256", $"--pwfile={passwordFile}", "-E", "UTF8", "--locale=C", "--no-sync"], root));
                if (!await initdb.WaitForExitAsync(TimeSpan.FromSeconds(60)) || initdb.ExitCode != 0)
                {
                    throw new InvalidOperationException($"initdb failed (exit {initdb.ExitCode}):{Environment.NewLine}{initdb.Tail()}");
                }
            }
            finally
            {
                File.Delete(passwordFile);
            }
        }
        ServiceAccount.PrepareDirectories(User, root, sockets);

        string[] args = ["-D", data, "-p", settings.Port.ToString(), "-k", sockets, "-c", "listen_addresses=127.0.0.1"];
        foreach (var (key, value) in settings.ExtraSettings)
        {
            args = [.. args, "-c", $"{key}={value}"];
        }
        var process = ChildProcess.Start(settings.Spec("postgres", binary("postgres"), args, root));
        var connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = settings.Port,
            Username = User,
            Password = settings.Password,
        }.ConnectionString;
        var server = new PostgresServer(connectionString, process);
        try
        {
            await server.WaitReadyAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    public string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database }.ConnectionString;

    /// <summary>Creates <paramref name="database"/> unless it exists (its owner service creates extensions and tables).</summary>
    public async Task EnsureDatabaseAsync(string database, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database } } };
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE {Quote(database)}", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public async Task DropDatabaseAsync(string database, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Quote(database)} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = "postgres", Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    // Identifiers cannot be parameters; names come from our model or tests, quoted to be safe.
    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";

    private async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process is { HasExited: true })
            {
                throw new InvalidOperationException($"postgres exited during start-up (exit {_process.ExitCode}):{Environment.NewLine}{_process.Tail()}");
            }
            try
            {
                await using var connection = await OpenAsync(cancellationToken);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    /// <summary>Fast shutdown (SIGINT): active transactions roll back, data is flushed cleanly.</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.StopAsync(ChildProcess.SigInt, TimeSpan.FromSeconds(20));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
    }
}

public sealed record PostgresServerSettings(string DataDirectory, string BinDirectory, int Port, string Password, string Owner, Action<string>? Echo)
{
    public IReadOnlyDictionary<string, string> ExtraSettings { get; init; } = new Dictionary<string, string>();

    internal ChildProcessSpec Spec(string name, string file, IReadOnlyList<string> args, string workingDirectory) =>
        new(name, file, args, new Dictionary<string, string>(), Path.Combine(DataDirectory, "logs", name + ".log"), Owner, Echo)
        {
            RunAsUser = "postgres",
            WorkingDirectory = workingDirectory,
        };
}
