using MassTransit;
using Npgsql;
using SessionBuddy.Contracts;
using SessionBuddy.Testing;
using SessionBuddy.Testing.Hosting;
using SessionBuddy.Testing.Model;

namespace SessionBuddy.AkoshaSync.Tests;

/// <summary>
/// Two SessionBuddy instances, each on its own PostgreSQL and RabbitMQ: A runs AkoshaSync configured to push to B;
/// B is an Akosha hub (AkoshaSync with Akosha:HubEnabled, and Memory, which makes what arrives searchable). The
/// tests speak to each instance over its own bus, as its gateway would. A's timings are short (retries in
/// milliseconds, a circuit that opens after two failed requests and half-opens after a second).
/// </summary>
public sealed class AkoshaInstances : IAsyncDisposable
{
    public const string SystemA = "system-a";
    public const string HubKey = "hub-key-for-tests";
    public const int DefaultHubMaxResultBytes = 20_000;

    private readonly InfrastructureFixture _infraA;
    private readonly InfrastructureFixture _infraB;
    private readonly string _dotnet = PrerequisiteCheck.DotnetHost() ?? "dotnet";
    private readonly Dictionary<string, string> _pusherEnv;
    private readonly Dictionary<string, string> _hubEnv;

    private AkoshaInstances(InfrastructureFixture a, InfrastructureFixture b, string pusherDb, string hubDb, string memoryDb)
    {
        _infraA = a;
        _infraB = b;
        PusherDb = pusherDb;
        HubDb = hubDb;
        MemoryDb = memoryDb;
        Pusher = new ProjectProcess(Resource("akoshasync-a", "akoshasync"), FreePort.Allocate());
        Hub = new ProjectProcess(Resource("akoshasync-b", "akoshasync"), FreePort.Allocate());
        HubMemory = new ProjectProcess(Resource("memory-b", "memory"), FreePort.Allocate());
        _pusherEnv = new()
        {
            ["ConnectionStrings__akoshadb"] = pusherDb,
            ["ConnectionStrings__messaging"] = a.MessagingConnectionString,
            ["Akosha__Endpoint"] = Hub.Endpoint.ToString(),
            ["Akosha__ApiKey"] = HubKey,
            ["Akosha__SystemId"] = SystemA,
            ["Akosha__BatchSize"] = "50",
            ["Akosha__MaxAttempts"] = "3",
            ["Akosha__RetryBaseDelay"] = "00:00:00.050",
            ["Akosha__RetryMaxDelay"] = "00:00:00.500",
            ["Akosha__RequestRetries"] = "1",
            ["Akosha__RequestTimeout"] = "00:00:05",
            ["Akosha__CircuitFailureThreshold"] = "2",
            ["Akosha__CircuitBreakDuration"] = "00:00:01",
            ["Akosha__CircuitSamplingDuration"] = "00:00:02",
            ["Akosha__PollInterval"] = "00:00:00.200",
        };
        _hubEnv = new()
        {
            ["ConnectionStrings__akoshadb"] = hubDb,
            ["ConnectionStrings__messaging"] = b.MessagingConnectionString,
            ["Akosha__HubEnabled"] = "true",
            ["Akosha__HubKey"] = HubKey,
            ["Akosha__SystemId"] = "system-b",
        };
        var memoryEnv = new Dictionary<string, string>
        {
            ["ConnectionStrings__memorydb"] = memoryDb,
            ["ConnectionStrings__messaging"] = b.MessagingConnectionString,
            // Words are enough to find what arrived; the built-in model would cost start-up time only.
            ["Memory__Embedder"] = "hashed",
        };
        MemoryEnv = memoryEnv;
    }

    public ProjectProcess Pusher { get; }

    public ProjectProcess Hub { get; }

    public ProjectProcess HubMemory { get; }

    public string PusherDb { get; }

    public string HubDb { get; }

    public string MemoryDb { get; }

    private IReadOnlyDictionary<string, string> MemoryEnv { get; }

    public IBusControl BusA { get; private set; } = null!;

    public IBusControl BusB { get; private set; } = null!;

    public static async Task<AkoshaInstances> StartAsync()
    {
        var infra = await Task.WhenAll(InfrastructureFixture.CreateAsync(), InfrastructureFixture.CreateAsync());
        var instances = new AkoshaInstances(infra[0], infra[1],
            await infra[0].CreateDatabaseAsync("akosha_a"), await infra[1].CreateDatabaseAsync("akosha_b"), await infra[1].CreateDatabaseAsync("memory_b"));
        try
        {
            await Task.WhenAll(instances.StartHubAsync(), instances.StartProcessAsync(instances.HubMemory, instances.MemoryEnv), instances.StartPusherAsync());
            instances.BusA = await StartBusAsync(infra[0].MessagingUri);
            instances.BusB = await StartBusAsync(infra[1].MessagingUri);
        }
        catch
        {
            await instances.DisposeAsync();
            throw;
        }
        return instances;
    }

    public Task StartPusherAsync() => StartProcessAsync(Pusher, _pusherEnv);

    /// <summary>Starts the hub; <paramref name="maxResultBytes"/> is its Akosha:HubMaxResultBytes.</summary>
    public Task StartHubAsync(int maxResultBytes = DefaultHubMaxResultBytes) =>
        StartProcessAsync(Hub, new Dictionary<string, string>(_hubEnv) { ["Akosha__HubMaxResultBytes"] = maxResultBytes.ToString() });

    /// <summary>A's reply to one request over its bus, as A's gateway would get it.</summary>
    public static async Task<TReply> AskAsync<TRequest, TReply>(IBus bus, TRequest request)
        where TRequest : class
        where TReply : class
    {
        var response = await bus.CreateRequestClient<TRequest>(RequestTimeout.After(s: 30)).GetResponse<TReply, RequestRejected>(request);
        return response.Is(out Response<TReply>? reply) ? reply.Message
            : throw new InvalidOperationException("rejected: " + (response.Is(out Response<RequestRejected>? r) ? r.Message.Message : "?"));
    }

    public async Task<long> ScalarAsync(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var bus in new[] { BusA, BusB }.Where(b => b is not null))
        {
            await bus.StopAsync();
        }
        await Task.WhenAll(Pusher.StopAsync(), Hub.StopAsync(), HubMemory.StopAsync());
        Pusher.Dispose();
        Hub.Dispose();
        HubMemory.Dispose();
        await _infraA.DisposeAsync();
        await _infraB.DisposeAsync();
    }

    private async Task StartProcessAsync(ProjectProcess process, IReadOnlyDictionary<string, string> environment)
    {
        var infra = process == Pusher ? _infraA : _infraB;
        var env = new Dictionary<string, string>(environment)
        {
            ["OTEL_SERVICE_NAME"] = process.Resource.Name,
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
        };
        var logs = Path.Combine(infra.DataDirectory, "logs");
        Directory.CreateDirectory(logs);
        process.Start(_dotnet, env, logs, infra.DataDirectory, null);
        await process.WaitHealthyAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
    }

    private static ProjectResource Resource(string name, string project) =>
        new(name, ProjectLocation.For(project), new Dictionary<string, string>(), []);

    private static async Task<IBusControl> StartBusAsync(Uri messaging)
    {
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(messaging));
        await bus.StartAsync();
        return bus;
    }
}
