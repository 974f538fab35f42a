using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.Messaging;
using SessionBuddy.Messaging.Data;
using SessionBuddy.ServiceDefaults.Data;

namespace SessionBuddy.ServiceDefaults.Tests;

/// <summary>The transactional outbox and the inbox, on real PostgreSQL and RabbitMQ.</summary>
[TestFixture]
[NonParallelizable]
public sealed class OutboxTests
{
    private IHost _host = null!;
    private NpgsqlDataSource _db = null!;
    private string _connectionString = null!;

    [OneTimeSetUp]
    public async Task StartService()
    {
        var connectionString = _connectionString = await Infrastructure.Current.CreateDatabaseAsync("outbox");
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:outboxdb"] = connectionString,
            ["ConnectionStrings:messaging"] = Infrastructure.Current.MessagingUri.ToString(),
        });
        builder.Services.AddSingleton<ReceivedEvents>();
        builder.AddServiceDatabase("outboxdb", typeof(OutboxTests).Assembly);
        builder.AddOutbox();
        builder.AddServiceBus(serviceName: null, bus => bus.AddConsumer<RecordingConsumer>());
        _host = builder.Build();
        await _host.StartAsync();
        _db = _host.Services.GetRequiredService<NpgsqlDataSource>();
    }

    [OneTimeTearDown]
    public async Task StopService()
    {
        await _host.StopAsync();
        _host.Dispose();
    }

    private ReceivedEvents Received => _host.Services.GetRequiredService<ReceivedEvents>();

    [Test]
    public async Task CommittedEventsArePublishedWithTheRowIdAndRolledBackOnesNever()
    {
        var outbox = _host.Services.GetRequiredService<Outbox>();
        var committed = new SessionCreated(Guid.NewGuid(), "committed", null, DateTimeOffset.UtcNow);
        var rolledBack = new SessionCreated(Guid.NewGuid(), "rolled back", null, DateTimeOffset.UtcNow);

        await using (var connection = await _db.OpenConnectionAsync())
        {
            await using (var transaction = await connection.BeginTransactionAsync())
            {
                await outbox.EnqueueAsync(connection, transaction, rolledBack, CancellationToken.None);
                await transaction.RollbackAsync();
            }
            await using (var transaction = await connection.BeginTransactionAsync())
            {
                await outbox.EnqueueAsync(connection, transaction, committed, CancellationToken.None);
                await transaction.CommitAsync();
            }
        }
        outbox.NotifyCommitted();

        var delivery = await Received.WaitForAsync(committed.SessionId, count: 1);
        var rowId = await ScalarAsync<Guid>("SELECT id FROM outbox_messages WHERE payload->>'sessionId' = @id::text", committed.SessionId);
        Assert.That(delivery[0].MessageId, Is.EqualTo(rowId));
        // The row is marked once the broker confirmed the publish, which can be after the consumer already has it.
        Assert.That(() => ScalarAsync<bool>("SELECT dispatched_at IS NOT NULL FROM outbox_messages WHERE id = @id", rowId).Result,
            Is.True.After(5000, 50));

        await Task.Delay(500);
        Assert.That(Received.For(rolledBack.SessionId), Is.Empty, "a rolled-back event is never published");
    }

    [Test]
    public async Task ARepublishedEventIsAppliedOnceByAnInboxGuardedConsumer()
    {
        var outbox = _host.Services.GetRequiredService<Outbox>();
        var created = new SessionCreated(Guid.NewGuid(), "twice", null, DateTimeOffset.UtcNow);
        await using (var connection = await _db.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await outbox.EnqueueAsync(connection, transaction, created, CancellationToken.None);
            await transaction.CommitAsync();
        }
        outbox.NotifyCommitted();
        await Received.WaitForAsync(created.SessionId, count: 1);

        // A crash between publishing and marking the row leaves it pending: it is published again.
        await ScalarAsync<int>("UPDATE outbox_messages SET dispatched_at = NULL WHERE payload->>'sessionId' = @id::text RETURNING 1", created.SessionId);
        outbox.NotifyCommitted();

        var deliveries = await Received.WaitForAsync(created.SessionId, count: 2);
        Assert.That(deliveries.Select(d => d.MessageId).Distinct().Count(), Is.EqualTo(1), "both deliveries carry the same message id");
        Assert.That(deliveries.Count(d => d.Applied), Is.EqualTo(1), "the inbox lets exactly one of them apply");
    }

    [Test]
    public async Task TwoReplicasDispatchEveryRowExactlyOnce()
    {
        // A second replica of the service: its own dispatcher and connection pool on the same database and broker.
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:outboxdb"] = _connectionString,
            ["ConnectionStrings:messaging"] = Infrastructure.Current.MessagingUri.ToString(),
        });
        builder.AddServiceDatabase("outboxdb", typeof(OutboxTests).Assembly);
        builder.AddOutbox();
        builder.AddServiceBus(serviceName: null, _ => { });
        using var replica = builder.Build();
        await replica.StartAsync();
        try
        {
            var events = Enumerable.Range(0, 1000).Select(i => new SessionCreated(Guid.NewGuid(), $"replicated {i}", null, DateTimeOffset.UtcNow)).ToList();
            var outbox = _host.Services.GetRequiredService<Outbox>();
            foreach (var chunk in events.Chunk(50))
            {
                await using var connection = await _db.OpenConnectionAsync();
                await using var transaction = await connection.BeginTransactionAsync();
                await outbox.EnqueueManyAsync(connection, transaction, chunk, CancellationToken.None);
                await transaction.CommitAsync();
                outbox.NotifyCommitted();
                replica.Services.GetRequiredService<Outbox>().NotifyCommitted();
            }

            foreach (var created in events)
            {
                await Received.WaitForAsync(created.SessionId, count: 1);
            }
            // Time for a second publish of any row to arrive, had one been claimed by both replicas.
            await Task.Delay(1500);
            Assert.That(events.Where(e => Received.For(e.SessionId).Count != 1).Select(e => e.Name), Is.Empty, "events delivered more than once");
            await using var marks = _db.CreateCommand(
                "SELECT count(*) FROM outbox_messages WHERE payload->>'name' LIKE 'replicated %' AND (dispatched_at IS NULL OR attempts <> 1)");
            Assert.That(await marks.ExecuteScalarAsync(), Is.Zero, "every row was marked once");
        }
        finally
        {
            await replica.StopAsync();
        }
    }

    [Test]
    public async Task ConcurrentRedeliveriesAreAppliedOnceAndARolledBackOneLeavesTheMessageToTheOther()
    {
        var messageId = Guid.NewGuid();
        await using var first = await _db.OpenConnectionAsync();
        await using var second = await _db.OpenConnectionAsync();

        // Two replicas receive the same message at once: the second's insert waits for the first's transaction.
        await using (var firstTransaction = await first.BeginTransactionAsync())
        await using (var secondTransaction = await second.BeginTransactionAsync())
        {
            Assert.That(await Inbox.TryAcceptAsync(first, firstTransaction, messageId, "racer", CancellationToken.None), Is.True);
            var secondAccepts = Inbox.TryAcceptAsync(second, secondTransaction, messageId, "racer", CancellationToken.None);
            await Task.Delay(300);
            Assert.That(secondAccepts.IsCompleted, Is.False, "the second waits for the first to commit or roll back");
            // The first replica dies before committing: the message is the second one's to apply.
            await firstTransaction.RollbackAsync();
            Assert.That(await secondAccepts, Is.True);
            await secondTransaction.CommitAsync();
        }

        await using (var firstTransaction = await first.BeginTransactionAsync())
        await using (var secondTransaction = await second.BeginTransactionAsync())
        {
            var again = Guid.NewGuid();
            Assert.That(await Inbox.TryAcceptManyAsync(first, firstTransaction, [again, messageId], "racer", CancellationToken.None),
                Is.EqualTo(new[] { again }));
            var secondAccepts = Inbox.TryAcceptManyAsync(second, secondTransaction, [again], "racer", CancellationToken.None);
            await Task.Delay(300);
            await firstTransaction.CommitAsync();
            Assert.That(await secondAccepts, Is.Empty, "a message the first replica applied is not applied again");
            await secondTransaction.CommitAsync();
        }
    }

    private async Task<T> ScalarAsync<T>(string sql, Guid id)
    {
        await using var command = _db.CreateCommand(sql);
        command.Parameters.AddWithValue("id", id);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public sealed record Delivery(Guid MessageId, bool Applied);

    public sealed class ReceivedEvents
    {
        private readonly ConcurrentDictionary<Guid, ConcurrentQueue<Delivery>> _bySession = new();

        public void Add(Guid sessionId, Delivery delivery) => _bySession.GetOrAdd(sessionId, _ => new()).Enqueue(delivery);

        public IReadOnlyList<Delivery> For(Guid sessionId) => _bySession.TryGetValue(sessionId, out var q) ? q.ToList() : [];

        public async Task<IReadOnlyList<Delivery>> WaitForAsync(Guid sessionId, int count)
        {
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (For(sessionId).Count < count && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
            Assert.That(For(sessionId), Has.Count.EqualTo(count), $"deliveries of {sessionId}");
            return For(sessionId);
        }
    }

    public sealed class RecordingConsumer(NpgsqlDataSource db, ReceivedEvents received) : IConsumer<SessionCreated>
    {
        public async Task Consume(ConsumeContext<SessionCreated> context)
        {
            await using var connection = await db.OpenConnectionAsync(context.CancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(context.CancellationToken);
            var applied = await Inbox.TryAcceptAsync(connection, transaction, context.MessageId!.Value, nameof(RecordingConsumer), context.CancellationToken);
            await transaction.CommitAsync(context.CancellationToken);
            received.Add(context.Message.SessionId, new Delivery(context.MessageId.Value, applied));
        }
    }
}
