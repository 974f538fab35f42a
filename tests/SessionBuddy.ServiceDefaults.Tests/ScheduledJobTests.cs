using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.ServiceDefaults.Scheduling;

namespace SessionBuddy.ServiceDefaults.Tests;

[TestFixture]
public sealed class ScheduledJobTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    [Test]
    public async Task ThreeReplicasRunTheJobExactlyOncePerSlot()
    {
        var connectionString = await Infrastructure.Current.CreateDatabaseAsync("schedule");
        var runs = new ConcurrentQueue<(DateTimeOffset Slot, int Replica)>();
        // Three replicas, each with its own connection pool and claims, as separate processes would have.
        var dataSources = Enumerable.Range(0, 3).Select(_ => NpgsqlDataSource.Create(connectionString)).ToList();
        await new DatabaseMigrator(dataSources[0], new DatabaseMigrations("schedule", typeof(ScheduledJobTests).Assembly), [], NullLogger<DatabaseMigrator>.Instance)
            .StartAsync(CancellationToken.None);
        var jobs = dataSources.Select((d, i) => new RecordingJob(new ScheduledRuns(d), i, runs)).ToList();

        var started = DateTimeOffset.UtcNow;
        await Task.WhenAll(jobs.Select(j => j.StartAsync(CancellationToken.None)));
        await Task.Delay(Interval * 8);
        await Task.WhenAll(jobs.Select(j => j.StopAsync(CancellationToken.None)));
        var stopped = DateTimeOffset.UtcNow;
        foreach (var dataSource in dataSources)
        {
            await dataSource.DisposeAsync();
        }

        var bySlot = runs.GroupBy(r => r.Slot).OrderBy(g => g.Key).ToList();
        Assert.That(bySlot.Where(g => g.Count() > 1).Select(g => g.Key), Is.Empty, "a slot ran on more than one replica");
        // Every slot that began while the replicas ran was run: the first after start up to the last before stop.
        var first = ScheduledRuns.SlotStart(started, Interval) + Interval;
        var expected = Enumerable.Range(0, (int)((stopped - first) / Interval) + 1).Select(i => first + Interval * i)
            .Where(slot => slot < stopped - TimeSpan.FromMilliseconds(100)) // the run of a slot that began as they stopped may not have happened
            .ToList();
        Assert.That(bySlot.Select(g => g.Key).Take(expected.Count), Is.EqualTo(expected));
        Assert.That(expected, Has.Count.GreaterThanOrEqualTo(6));
    }

    private sealed class RecordingJob(ScheduledRuns runs, int replica, ConcurrentQueue<(DateTimeOffset, int)> record)
        : ScheduledJob(runs, NullLogger.Instance)
    {
        protected override string JobName => "recording";

        protected override TimeSpan Interval => ScheduledJobTests.Interval;

        protected override Task RunAsync(DateTimeOffset slotStart, CancellationToken cancellationToken)
        {
            record.Enqueue((slotStart, replica));
            return Task.CompletedTask;
        }
    }
}
