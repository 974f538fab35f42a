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

        // Runs start just after their slot's boundary, so the second they started in names their slot.
        var slots = await first.CountAsync(
            $"SELECT count(DISTINCT date_trunc('second', started_at)) FROM memory_optimization_runs WHERE trigger = '{OptimizationTriggers.Schedule}'");
        var runs = await first.CountAsync($"SELECT count(*) FROM memory_optimization_runs WHERE trigger = '{OptimizationTriggers.Schedule}'");
        Assert.That(runs, Is.EqualTo(slots), "one run per interval, not one per replica");
        Assert.That(runs, Is.InRange(4, 6));
    }
}
