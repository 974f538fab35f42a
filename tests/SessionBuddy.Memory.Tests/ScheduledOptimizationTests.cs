using Microsoft.Extensions.DependencyInjection;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Memory.Optimization;
using SessionBuddy.ServiceDefaults.Scheduling;

namespace SessionBuddy.Memory.Tests;

public class ScheduledOptimizationTests
{
    [Test]
    public async Task Three_replicas_optimise_once_per_interval()
    {
        var settings = new Dictionary<string, string?> { ["Memory:Optimization:Interval"] = "00:00:01" };
        static void WithClaims(IServiceCollection services) => services.AddSingleton<ScheduledRuns>();
        // Three Memory replicas on one memorydb, each with its own connection pool.
        await using var first = await MemoryDatabase.CreateAsync(settings, WithClaims);
        await using var second = await MemoryDatabase.CreateAsync(settings, WithClaims, first.ConnectionString);
        await using var third = await MemoryDatabase.CreateAsync(settings, WithClaims, first.ConnectionString);
        var schedules = new[] { first, second, third }.Select(r => ActivatorUtilities.CreateInstance<ScheduledOptimization>(r.Services)).ToList();

        await Task.WhenAll(schedules.Select(s => s.StartAsync(CancellationToken.None)));
        await Task.Delay(TimeSpan.FromSeconds(5.5));
        await Task.WhenAll(schedules.Select(s => s.StopAsync(CancellationToken.None)));

        // 5.5 s of 1 s slots: 5 or 6 slots, one run each. One run per replica would make 12-18. (The second a run
        // started in does not name its slot: a run may start late and share a second with the next slot's.)
        var runs = await first.CountAsync($"SELECT count(*) FROM memory_optimization_runs WHERE trigger = '{OptimizationTriggers.Schedule}'");
        Assert.That(runs, Is.InRange(4, 6), "one run per interval, not one per replica");
    }
}
