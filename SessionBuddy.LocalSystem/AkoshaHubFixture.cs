using Npgsql;
using SessionBuddy.LocalSystem.Hosting;
using SessionBuddy.LocalSystem.Model;

namespace SessionBuddy.LocalSystem;

/// <summary>
/// An Akosha hub as another SessionBuddy instance: its own PostgreSQL and RabbitMQ, AkoshaSync with
/// Akosha:HubEnabled (the push endpoint) and Memory (which makes what arrives searchable). Instances under test
/// push to <see cref="Endpoint"/> with <see cref="Key"/>; tests and benches ask the hub's services over
/// <see cref="MessagingUri"/> as its gateway would, and read its databases to count what arrived.
/// </summary>
public sealed class AkoshaHubFixture : IAsyncDisposable
{
    public const string Key = "akosha-hub-key-for-tests";

    private readonly InfrastructureFixture _infrastructure;
    private readonly string _dotnet = PrerequisiteCheck.DotnetHost() ?? "dotnet";
    private readonly Dictionary<string, string> _hubEnvironment;
    private readonly Dictionary<string, string> _memoryEnvironment;

    private AkoshaHubFixture(InfrastructureFixture infrastructure, string hubDatabase, string memoryDatabase, string embedder)
    {
        _infrastructure = infrastructure;
        HubDatabase = hubDatabase;
        MemoryDatabase = memoryDatabase;
        Hub = new ProjectProcess(Resource("akoshasync-hub", "akoshasync"), FreePort.Allocate(), "akoshasync-hub");
        Memory = new ProjectProcess(Resource("memory-hub", "memory"), FreePort.Allocate(), "memory-hub");
        _hubEnvironment = new()
        {
            ["ConnectionStrings__akoshadb"] = hubDatabase,
            ["ConnectionStrings__messaging"] = infrastructure.MessagingConnectionString,
            ["Akosha__HubEnabled"] = "true",
            ["Akosha__HubKey"] = Key,
            ["Akosha__SystemId"] = "hub",
        };
        _memoryEnvironment = new()
        {
            ["ConnectionStrings__memorydb"] = memoryDatabase,
            ["ConnectionStrings__messaging"] = infrastructure.MessagingConnectionString,
            ["Memory__Embedder"] = embedder,
        };
    }

    /// <summary>The hub's AkoshaSync: where pushers send their batches.</summary>
    public ProjectProcess Hub { get; }

    public ProjectProcess Memory { get; }

    public Uri Endpoint => Hub.Endpoint;

    public Uri MessagingUri => _infrastructure.MessagingUri;

    public string HubDatabase { get; }

    public string MemoryDatabase { get; }

    public string DataDirectory => _infrastructure.DataDirectory;

    /// <param name="embedder">The hub Memory's Memory:Embedder: hashed (fast start, words only) or builtin (MiniLM).</param>
    public static async Task<AkoshaHubFixture> StartAsync(string embedder = "hashed", int maxResultBytes = 1 << 20)
    {
        var infrastructure = await InfrastructureFixture.CreateAsync();
        AkoshaHubFixture? hub = null;
        try
        {
            hub = new AkoshaHubFixture(infrastructure, await infrastructure.CreateDatabaseAsync("akosha_hub"),
                await infrastructure.CreateDatabaseAsync("memory_hub"), embedder);
            await Task.WhenAll(hub.StartHubAsync(maxResultBytes), hub.StartProcessAsync(hub.Memory, hub._memoryEnvironment));
            return hub;
        }
        catch
        {
            await (hub?.DisposeAsync() ?? infrastructure.DisposeAsync());
            throw;
        }
    }

    /// <summary>Starts the hub's AkoshaSync (again); <paramref name="maxResultBytes"/> is its Akosha:HubMaxResultBytes.</summary>
    public Task StartHubAsync(int maxResultBytes = 1 << 20) =>
        StartProcessAsync(Hub, new Dictionary<string, string>(_hubEnvironment) { ["Akosha__HubMaxResultBytes"] = maxResultBytes.ToString() });

    /// <summary>Results the hub stored from <paramref name="poolId"/> (each (system, task) is stored once).</summary>
    public async Task<long> StoredResultsAsync(string poolId)
    {
        await using var connection = new NpgsqlConnection(HubDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM akosha_hub_results WHERE pool_id = @pool", connection);
        command.Parameters.AddWithValue("pool", poolId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>How many results the hub's Memory has made searchable (memories of category akosha_result).</summary>
    public async Task<long> SearchableResultsAsync()
    {
        await using var connection = new NpgsqlConnection(MemoryDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM reflections WHERE category = 'akosha_result'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Starts a project of another instance with the given environment, logging beside the hub's logs, and waits until it is healthy.</summary>
    public async Task StartProcessAsync(ProjectProcess process, IReadOnlyDictionary<string, string> environment)
    {
        var env = new Dictionary<string, string>(environment)
        {
            ["OTEL_SERVICE_NAME"] = process.Resource.Name,
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
        };
        var logs = Path.Combine(DataDirectory, "logs");
        Directory.CreateDirectory(logs);
        process.Start(_dotnet, env, logs, DataDirectory, null);
        await process.WaitHealthyAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
    }

    public static ProjectResource Resource(string name, string project) =>
        new(name, ProjectLocation.For(project), new Dictionary<string, string>(), []);

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Hub.StopAsync(), Memory.StopAsync());
        Hub.Dispose();
        Memory.Dispose();
        await _infrastructure.DisposeAsync();
    }
}
