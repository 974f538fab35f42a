using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using SessionBuddy.LocalSystem.Model;

namespace SessionBuddy.LocalSystem.Hosting;

/// <summary>
/// Runs the resource model on this machine: PostgreSQL and RabbitMQ from local binaries (or existing
/// servers), the databases, then every project with Aspire-style environment, and stops it all in
/// reverse order. Shared by the AppHost and the test fixtures, so tests exercise the real start-up.
/// </summary>
public sealed partial class Orchestrator : IAsyncDisposable
{
    // The services share one PostgreSQL server: each service's Npgsql pool is bounded so that all of
    // them together (plus admin and migration connections) stay below the server's max_connections,
    // and a burst in one service queues for its own connections instead of refusing another's
    // ("sorry, too many clients already"). A setting in HostOptions.PostgresSettings wins.
    private const int ServicePoolSize = 40;

    private readonly HostOptions _options;
    private readonly ParameterStore _parameters;
    private readonly Dictionary<string, ProjectProcess> _projects = [];
    private readonly GatewayFront? _gatewayFront;
    private readonly string _dotnet;
    private readonly int _postgresPort;
    private readonly int _rabbitPort;
    private PostgresServer? _postgres;
    private RabbitMqServer? _rabbit;
    private bool _holdsLock;

    public Orchestrator(ResourceModel model, HostOptions options)
    {
        Model = model;
        _options = options;
        DataDirectory = Path.GetFullPath(options.DataDirectory);
        _parameters = new ParameterStore(DataDirectory);
        _dotnet = PrerequisiteCheck.DotnetHost() ?? "dotnet";
        _postgresPort = options.PostgresPort == 0 ? FreePort.Allocate() : options.PostgresPort;
        _rabbitPort = options.RabbitMqPort == 0 ? FreePort.Allocate() : options.RabbitMqPort;
        var replicas = Math.Max(1, options.Replicas);
        foreach (var project in model.OfType<ProjectResource>())
        {
            for (var replica = 1; replica <= replicas; replica++)
            {
                var name = ReplicaName(project.Name, replica);
                var port = name == SessionBuddyResources.Gateway && replicas == 1 && options.GatewayPort != 0 ? options.GatewayPort : FreePort.Allocate();
                _projects[name] = new ProjectProcess(project, port, name);
            }
        }
        if (replicas > 1)
        {
            var gateways = Enumerable.Range(1, replicas).Select(r => _projects[ReplicaName(SessionBuddyResources.Gateway, r)])
                .Select(p => (Func<Uri>)(() => p.Endpoint)).ToList();
            _gatewayFront = new GatewayFront(options.GatewayPort != 0 ? options.GatewayPort : FreePort.Allocate(), gateways);
        }
    }

    /// <summary>Replica 1 is named like its project, the others <c>name-2</c>, <c>name-3</c>, ...</summary>
    public static string ReplicaName(string project, int replica) => replica == 1 ? project : $"{project}-{replica}";

    /// <summary>The balancer in front of the gateway replicas (null with one replica).</summary>
    public GatewayFront? GatewayFront => _gatewayFront;

    private int MaxConnections => SessionBuddyResources.Services.Count * Math.Max(1, _options.Replicas) * ServicePoolSize + 50;

    public ResourceModel Model { get; }

    public string DataDirectory { get; }

    public string LogDirectory => Path.Combine(DataDirectory, "logs");

    public PostgresServer Postgres => _postgres ?? throw new InvalidOperationException("PostgreSQL is not started.");

    public RabbitMqServer RabbitMq => _rabbit ?? throw new InvalidOperationException("RabbitMQ is not started.");

    public IReadOnlyDictionary<string, ProjectProcess> Projects => _projects;

    /// <summary>A project's address: the gateway's is its balancer when it has replicas; <c>name-2</c> etc. address one replica.</summary>
    public Uri Endpoint(string project) =>
        project == SessionBuddyResources.Gateway && _gatewayFront is not null ? _gatewayFront.Endpoint : Process(project).Endpoint;

    /// <summary>The physical database name behind a database resource (suffixed when the server is shared).</summary>
    public string DatabaseName(string database) => database + _options.DatabaseSuffix;

    /// <summary>Starts (or connects to) PostgreSQL and RabbitMQ in parallel and creates the databases.</summary>
    public async Task StartInfrastructureAsync(CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(LogDirectory);
        ServiceAccount.AllowTraversal(DataDirectory);
        await ClaimDataDirectoryAsync();
        await Task.WhenAll(StartPostgresAsync(cancellationToken), StartRabbitMqAsync(cancellationToken));
        foreach (var database in Model.OfType<DatabaseResource>())
        {
            await Postgres.EnsureDatabaseAsync(DatabaseName(database.Name), cancellationToken);
        }
    }

    private async Task StartPostgresAsync(CancellationToken cancellationToken)
    {
        _postgres = _options.ExternalPostgres is { } external
            ? await PostgresServer.ConnectAsync(external, cancellationToken)
            : await PostgresServer.StartAsync(new PostgresServerSettings(DataDirectory, _options.PostgresBinDirectory, _postgresPort,
                _parameters.Get(SessionBuddyResources.PostgresPassword), DataDirectory, _options.Echo)
            {
                ExtraSettings = PostgresSettings(),
            }, cancellationToken);
    }

    private Dictionary<string, string> PostgresSettings()
    {
        var settings = new Dictionary<string, string> { ["max_connections"] = MaxConnections.ToString() };
        foreach (var (key, value) in _options.PostgresSettings)
        {
            settings[key] = value;
        }
        return settings;
    }

    private async Task StartRabbitMqAsync(CancellationToken cancellationToken)
    {
        _rabbit = _options.ExternalRabbitMq is { } external
            ? RabbitMqServer.Connect(new Uri(external))
            : await RabbitMqServer.StartAsync(new RabbitMqServerSettings(DataDirectory, _options.RabbitMqServerPath, _rabbitPort,
                _parameters.Get(SessionBuddyResources.RabbitMqPassword), DataDirectory, _options.Echo)
            {
                StartupTimeout = _options.StartupTimeout,
            }, cancellationToken);
    }

    /// <summary>Starts every project at once and waits until each answers /health with 200.</summary>
    public async Task StartProjectsAsync(CancellationToken cancellationToken = default)
    {
        var gatewayPort = Endpoint(SessionBuddyResources.Gateway).Port;
        if (!PortIsFree(gatewayPort))
        {
            throw new ResourceStartException(SessionBuddyResources.Gateway,
                $"cannot listen on port {gatewayPort}: it is in use (choose another with --gateway-port or SESSIONBUDDY_GATEWAY_PORT)", "(not started)");
        }
        if (_gatewayFront is not null)
        {
            await _gatewayFront.StartAsync();
        }
        foreach (var project in _projects.Values)
        {
            StartProcess(project);
        }
        var waits = _projects.Values.Select(p => p.WaitHealthyAsync(_options.StartupTimeout, cancellationToken)).ToList();
        try
        {
            await Task.WhenAll(waits);
        }
        catch
        {
            // Report the first resource in model order that failed, not whichever finished first.
            var failed = waits.FirstOrDefault(w => w.IsFaulted);
            if (failed?.Exception?.InnerException is { } reason)
            {
                throw reason;
            }
            throw;
        }
    }

    /// <summary>Starts one resource again after it was stopped or killed, and waits until it is ready.</summary>
    public async Task StartAsync(string resource, CancellationToken cancellationToken = default)
    {
        switch (resource)
        {
            // The old server is forgotten before the new one starts: a start that fails leaves nothing disposed behind.
            case SessionBuddyResources.Postgres:
                var postgres = _postgres;
                _postgres = null;
                await (postgres?.DisposeAsync() ?? ValueTask.CompletedTask);
                await StartPostgresAsync(cancellationToken);
                break;
            case SessionBuddyResources.Messaging:
                var rabbit = _rabbit;
                _rabbit = null;
                await (rabbit?.DisposeAsync() ?? ValueTask.CompletedTask);
                await StartRabbitMqAsync(cancellationToken);
                break;
            default:
                var project = Process(resource);
                StartProcess(project);
                await project.WaitHealthyAsync(_options.StartupTimeout, cancellationToken);
                break;
        }
    }

    /// <summary>
    /// Starts another instance of a project under a new name on a free port: the project's environment plus
    /// <paramref name="settings"/> (e.g. a second gateway configured differently). It stops with the run.
    /// </summary>
    public async Task<ProjectProcess> StartInstanceAsync(string project, string instance, IReadOnlyDictionary<string, string> settings,
        CancellationToken cancellationToken = default)
    {
        var model = Process(project).Resource;
        var environment = new Dictionary<string, string>(model.Environment);
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }
        var process = new ProjectProcess(model with { Name = instance, Environment = environment }, FreePort.Allocate(), instance);
        _projects.Add(instance, process);
        StartProcess(process);
        await process.WaitHealthyAsync(_options.StartupTimeout, cancellationToken);
        return process;
    }

    /// <summary>Kills a resource's whole process tree at once, like a crash.</summary>
    public async Task KillAsync(string resource)
    {
        switch (resource)
        {
            case SessionBuddyResources.Postgres:
                Postgres.Process?.KillTree();
                await (Postgres.Process?.WaitForExitAsync(TimeSpan.FromSeconds(10)) ?? Task.FromResult(true));
                break;
            case SessionBuddyResources.Messaging:
                RabbitMq.Kill();
                await (RabbitMq.Process?.WaitForExitAsync(TimeSpan.FromSeconds(10)) ?? Task.FromResult(true));
                break;
            default:
                await Process(resource).KillAsync();
                break;
        }
    }

    /// <summary>Stops one project gracefully.</summary>
    public Task StopAsync(string project) => Process(project).StopAsync();

    /// <summary>The value of a connection-string resource as this run realises it.</summary>
    public string ConnectionString(string resource) => Resolve($"{{{resource}.connectionString}}");

    /// <summary>The environment a project gets: the model's entries resolved, plus what only a local run has.</summary>
    public IReadOnlyDictionary<string, string> EnvironmentFor(ProjectResource project)
    {
        var env = project.Environment.ToDictionary(e => e.Key, e => Resolve(e.Value));
        foreach (var (key, relative) in project.DataDirectoryEnvironment)
        {
            var path = Path.Combine(DataDirectory, relative);
            Directory.CreateDirectory(path);
            env[key] = path;
        }
        if (!string.IsNullOrWhiteSpace(_options.OtlpEndpoint))
        {
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = _options.OtlpEndpoint;
        }
        if (Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") is null)
        {
            env["ASPNETCORE_ENVIRONMENT"] = "Development";
        }
        return env;
    }

    /// <summary>Replaces manifest expressions such as <c>{sessionsdb.connectionString}</c> with this run's values.</summary>
    public string Resolve(string template) => Expression().Replace(template, m => ResolveReference(m.Groups[1].Value, m.Groups[2].Value));

    private string ResolveReference(string name, string property) => (Model[name], property) switch
    {
        (ParameterResource p, "value") => _parameters.Get(p.Name, p.GeneratedMinLength),
        (ConnectionStringResource, "connectionString" or "value") => _options.OllamaConnectionString ?? "",
        (ContainerResource { Name: SessionBuddyResources.Postgres }, "connectionString") => Postgres.AdminConnectionString,
        (ContainerResource { Name: SessionBuddyResources.Postgres }, "bindings.tcp.port") => Postgres.Port.ToString(),
        (ContainerResource { Name: SessionBuddyResources.Messaging }, "connectionString") => RabbitMq.Uri.ToString(),
        (ContainerResource { Name: SessionBuddyResources.Messaging }, "bindings.tcp.port") => RabbitMq.Uri.Port.ToString(),
        (ContainerResource, "bindings.tcp.host") => "127.0.0.1",
        (DatabaseResource d, "connectionString") => new Npgsql.NpgsqlConnectionStringBuilder(Postgres.ConnectionStringFor(DatabaseName(d.Name)))
        {
            MaxPoolSize = ServicePoolSize,
        }.ConnectionString,
        (ProjectResource p, "bindings.http.url") => Endpoint(p.Name).ToString().TrimEnd('/'),
        (ProjectResource p, "bindings.http.host") => "127.0.0.1",
        (ProjectResource p, "bindings.http.port" or "bindings.http.targetPort") => Endpoint(p.Name).Port.ToString(),
        _ => throw new InvalidOperationException($"Cannot resolve '{{{name}.{property}}}' in a local run."),
    };

    [GeneratedRegex(@"\{([A-Za-z0-9_-]+)\.([A-Za-z0-9_.]+)\}")]
    private static partial Regex Expression();

    private void StartProcess(ProjectProcess project) =>
        project.Start(_dotnet, EnvironmentFor(project.Resource), LogDirectory, DataDirectory, _options.Echo);

    private ProjectProcess Process(string name) =>
        _projects.TryGetValue(name, out var p) ? p
        : throw new ArgumentException($"Unknown resource '{name}'. Known: {string.Join(", ", _projects.Keys.Append(SessionBuddyResources.Postgres).Append(SessionBuddyResources.Messaging))}.", nameof(name));

    private static bool PortIsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// One AppHost per data directory. Processes left by an AppHost that died without stopping them
    /// (they carry this directory as their owner marker) are stopped first.
    /// </summary>
    private async Task ClaimDataDirectoryAsync()
    {
        var lockFile = Path.Combine(DataDirectory, "apphost.pid");
        if (File.Exists(lockFile) && int.TryParse(await File.ReadAllTextAsync(lockFile), out var other)
            && other != Environment.ProcessId && ProcessSweep.IsAlive(other)
            && IsDotnetProcess(other))
        {
            throw new InvalidOperationException(
                $"Another AppHost (pid {other}) is using the data directory {DataDirectory}; stop it or choose another with --data-dir.");
        }
        await File.WriteAllTextAsync(lockFile, Environment.ProcessId.ToString());
        _holdsLock = true;

        var leftovers = ProcessSweep.Find([$"{ChildProcess.OwnerVariable}={DataDirectory}"]);
        if (leftovers.Count > 0)
        {
            _options.Echo?.Invoke($"[apphost] stopping {leftovers.Count} process(es) left by an earlier run: {string.Join(", ", leftovers)}");
            await ProcessSweep.TerminateAsync(leftovers, TimeSpan.FromSeconds(10));
        }
    }

    private static bool IsDotnetProcess(int pid)
    {
        try
        {
            var commandLine = File.ReadAllText($"/proc/{pid}/cmdline");
            return commandLine.Contains("dotnet", StringComparison.Ordinal) || commandLine.Contains("SessionBuddy", StringComparison.Ordinal)
                || commandLine.Contains("testhost", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Stops everything this run started: projects first, then RabbitMQ and its epmd, then PostgreSQL.</summary>
    public async Task StopAsync()
    {
        if (_gatewayFront is not null)
        {
            await _gatewayFront.DisposeAsync();
        }
        await Task.WhenAll(_projects.Values.Select(p => p.StopAsync()));
        if (_rabbit is not null)
        {
            await _rabbit.StopAsync();
        }
        if (_postgres is not null)
        {
            await _postgres.StopAsync();
        }
        if (_holdsLock)
        {
            // Anything still carrying our marker (a grandchild a service spawned, an epmd from a killed node).
            await ProcessSweep.TerminateAsync(ProcessSweep.Find([$"{ChildProcess.OwnerVariable}={DataDirectory}"]), TimeSpan.FromSeconds(5));
            File.Delete(Path.Combine(DataDirectory, "apphost.pid"));
            _holdsLock = false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        foreach (var project in _projects.Values)
        {
            project.Dispose();
        }
        if (_rabbit is not null)
        {
            await _rabbit.DisposeAsync();
        }
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }
}
