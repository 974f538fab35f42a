using SessionBuddy.AkoshaSync.Push;

// Outside SessionBuddy.AkoshaSync.Tests: these tests need no running instances (the Suite set-up fixture).
namespace SessionBuddy.AkoshaSync.BackoffTests;

/// <summary>
/// <see cref="Backoff.Next"/>, the delay before a refused item's next attempt (and between passes while the hub is
/// unavailable): base·2^(n-1) capped at Akosha:RetryMaxDelay, times a random factor in [0.5, 1].
/// </summary>
[TestFixture]
public sealed class BackoffTests
{
    private const int Samples = 50;
    private static readonly AkoshaOptions Options = new()
    {
        RetryBaseDelay = TimeSpan.FromMilliseconds(100),
        RetryMaxDelay = TimeSpan.FromSeconds(3),
    };

    [TestCase(1, 100)]
    [TestCase(2, 200)]
    [TestCase(3, 400)]
    [TestCase(5, 1600)]
    public void TheNthDelayIsBetweenHalfAndAllOfBaseTimesTwoToTheNMinusOne(int attempt, double fullMilliseconds)
    {
        var delays = Sample(attempt);
        Assert.That(delays, Has.All.InRange(fullMilliseconds * 0.5, fullMilliseconds));
    }

    [TestCase(6)]
    [TestCase(10)]
    [TestCase(31)]
    [TestCase(int.MaxValue)]
    public void ItIsCappedAtTheMaximumDelay(int attempt)
    {
        var max = Options.RetryMaxDelay.TotalMilliseconds;
        var delays = Sample(attempt);
        Assert.That(delays, Has.All.InRange(max * 0.5, max), "capped, and jittered below the cap");
        Assert.That(delays.Max(), Is.GreaterThan(max * 0.75), "the cap, not a smaller exponent, is what is jittered");
    }

    [TestCase(0)]
    [TestCase(-3)]
    public void AttemptsBelowOneAreTreatedAsTheFirst(int attempt) =>
        Assert.That(Sample(attempt), Has.All.InRange(50.0, 100.0));

    [TestCase(1)]
    [TestCase(4)]
    [TestCase(12)]
    public void TheDelaysAreJittered(int attempt)
    {
        var delays = Sample(attempt);
        Assert.That(delays.Distinct().Count(), Is.GreaterThan(Samples / 2), "not all equal: retries of many items do not fall together");
        Assert.That(delays.Max() - delays.Min(), Is.GreaterThan((delays.Max() / 2) * 0.2), "spread over the jitter's range, not only rounding");
    }

    [Test]
    public void DelaysGrowWithTheAttempt()
    {
        // Medians of consecutive attempts: each about twice the one before until the cap.
        var medians = Enumerable.Range(1, 5).Select(n => Sample(n).Order().ElementAt(Samples / 2)).ToList();
        Assert.That(medians, Is.Ordered.Ascending);
        Assert.That(medians.Zip(medians.Skip(1), (a, b) => b / a), Has.All.InRange(1.3, 3.0));
    }

    private static List<double> Sample(int attempt) =>
        [.. Enumerable.Range(0, Samples).Select(_ => Backoff.Next(Options, attempt).TotalMilliseconds)];
}
