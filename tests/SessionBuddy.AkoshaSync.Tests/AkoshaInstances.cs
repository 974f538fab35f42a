using MassTransit;
using Npgsql;
using SessionBuddy.Contracts;
using SessionBuddy.LocalSystem;
using SessionBuddy.LocalSystem.Hosting;
using SessionBuddy.LocalSystem.Model;

namespace SessionBuddy.AkoshaSync.Tests;

/// <summary>
/// Two SessionBuddy instances, each on its own PostgreSQL and RabbitMQ: A runs AkoshaSync configured to push to hub
/// B (<see cref="AkoshaHubFixture"/>: AkoshaSync with Akosha:HubEnabled, and Memory). The tests speak to each
/// instance over its own bus, as its gateway would. A's timings are short (retries in milliseconds, a circuit that
/// opens after two failed requests and half-opens after a second).
/// </summary>
public sealed class AkoshaInstances : IAsyncDisposable
{
    public const string SystemA = "system-a";
    public const int DefaultHubMaxResultBytes = 20_000;

    private readonly InfrastructureFixture _infraA;
    private readonly Dictionary<string, string> _pusherEnvironment;

    private AkoshaInstances(InfrastructureFixture a, AkoshaHubFixture hub, string pusherDatabase)
    {
        _infraA = a;
        HubB = hub;
        PusherDatabase = pusherDatabase;
        Pusher = new ProjectProcess(AkoshaHubFixture.Resource("akoshasync-a", "akoshasync"), FreePort.Allocate(), "akoshasync-a");
        _pusherEnvironment = new()
        {
            ["ConnectionStrings__akoshadb"] = pusherDatabase,
            ["Akosha__Endpoint"] = hub.Endpoint.ToString(),
            ["Akosha__ApiKey"] = AkoshaHubFixture.Key,
            ["Akosha__SystemId"] = SystemA,
            ["Akosha__BatchSize"] = "50",
            ["Akosha__MaxAttempts"] = "3",
            ["Akosha__RetryBaseDelay"] = "00:00:00.050",
            ["Akosha__RetryMaxDelay"] = "00:00:00.500",
            ["Akosha__RequestRetries"] = "1",
            ["Akosha__RequestTimeout"] = "00:00:05",
            ["Akosha__CircuitFailureThreshold"] = "2",
            ["Akosha__CircuitBreakDuration"] = "00:00:01",
            ["Akosha__PollInterval"] = "00:00:00.200",
        };
    }

    /// <summary>A's AkoshaSync.</summary>
    public ProjectProcess Pusher { get; }

    public AkoshaHubFixture HubB { get; }

    public string PusherDatabase { get; }

    public IBusControl BusA { get; private set; } = null!;

    public IBusControl BusB { get; private set; } = null!;

    public static async Task<AkoshaInstances> StartAsync()
    {
        var infraA = InfrastructureFixture.CreateAsync();
        var hub = AkoshaHubFixture.StartAsync(maxResultBytes: DefaultHubMaxResultBytes);
        var instances = new AkoshaInstances(await infraA, await hub, await (await infraA).CreateDatabaseAsync("akosha_a"));
        try
        {
            await instances.StartPusherAsync();
            instances.BusA = await StartBusAsync(instances._infraA.MessagingUri);
            instances.BusB = await StartBusAsync(instances.HubB.MessagingUri);
        }
        catch
        {
            await instances.DisposeAsync();
            throw;
        }
        return instances;
    }

    public Task StartPusherAsync() => StartInstanceProcessAsync(Pusher, _pusherEnvironment);

    /// <summary>Restarts A's AkoshaSync with these settings over its usual ones (none: back to the usual ones).</summary>
    public async Task RestartPusherAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        await Pusher.StopAsync();
        var environment = new Dictionary<string, string>(_pusherEnvironment);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }
        await StartInstanceProcessAsync(Pusher, environment);
    }

    /// <summary>Starts a project of instance A (on A's broker) and waits until it is healthy.</summary>
    public async Task StartInstanceProcessAsync(ProjectProcess process, IReadOnlyDictionary<string, string> environment)
    {
        var logs = Path.Combine(_infraA.DataDirectory, "logs");
        Directory.CreateDirectory(logs);
        process.Start(PrerequisiteCheck.DotnetHost() ?? "dotnet",
            new Dictionary<string, string>(environment)
            {
                ["ConnectionStrings__messaging"] = _infraA.MessagingConnectionString,
                ["OTEL_SERVICE_NAME"] = process.Resource.Name,
                ["ASPNETCORE_ENVIRONMENT"] = "Development",
            },
            logs, _infraA.DataDirectory, null);
        await process.WaitHealthyAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
    }

    /// <summary>A's RabbitMQ (amqp:// URI with credentials), for a service of A the test hosts itself.</summary>
    public string MessagingA => _infraA.MessagingConnectionString;

    /// <summary>SIGKILLs A's RabbitMQ (the node's whole process tree), like a crash.</summary>
    public Task KillBrokerAAsync() => _infraA.KillAsync(SessionBuddyResources.Messaging);

    /// <summary>Starts A's RabbitMQ again on the same port, node name and data directory (durable queues and persistent messages survive).</summary>
    public Task StartBrokerAAsync() => _infraA.StartAsync(SessionBuddyResources.Messaging);

    /// <summary>A fresh database on A's server.</summary>
    public Task<string> CreateDatabaseAAsync(string name) => _infraA.CreateDatabaseAsync(name);

    /// <summary>An instance's reply to one request over its bus, as its gateway would get it.</summary>
    public static async Task<TReply> AskAsync<TRequest, TReply>(IBus bus, TRequest request)
        where TRequest : class
        where TReply : class
    {
        var response = await bus.CreateRequestClient<TRequest>(RequestTimeout.After(s: 30)).GetResponse<TReply, RequestRejected>(request);
        return response.Is(out Response<TReply>? reply) ? reply.Message
            : throw new InvalidOperationException("rejected: " + (response.Is(out Response<RequestRejected>? r) ? r.Message.Message : "?"));
    }

    public static async Task<long> ScalarAsync(string connectionString, string sql, params (string Name, object Value)[] parameters)
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
        await Pusher.StopAsync();
        Pusher.Dispose();
        await HubB.DisposeAsync();
        await _infraA.DisposeAsync();
    }

    private static async Task<IBusControl> StartBusAsync(Uri messaging)
    {
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(messaging));
        await bus.StartAsync();
        return bus;
    }
}
