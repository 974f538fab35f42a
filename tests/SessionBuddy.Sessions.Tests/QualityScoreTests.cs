using SessionBuddy.Sessions.Checkpoints;

namespace SessionBuddy.Sessions.Tests;

public sealed class QualityScoreTests
{
    private static readonly WorkingDirectorySignals Perfect = new(true, true, 0, true, true, true);

    [Test]
    public void A_clean_tested_documented_active_repository_scores_100()
    {
        var result = QualityScore.Assess(Perfect, new SessionActivity(Messages: 5, PriorCheckpoints: 5));
        Assert.That(result.Score, Is.EqualTo(100));
        Assert.That(result.Breakdown.Select(s => (s.Name, s.Points, s.MaxPoints)), Is.EqualTo(new[]
        {
            ("version_control", 30, 30), ("tests", 25, 25), ("docs", 20, 20), ("activity", 25, 25),
        }));
    }

    [Test]
    public void A_missing_directory_with_no_activity_scores_0_and_says_why()
    {
        var result = QualityScore.Assess(WorkingDirectorySignals.Missing, new SessionActivity(0, 0));
        Assert.That(result.Score, Is.EqualTo(0));
        Assert.That(result.Breakdown[0].Detail, Does.Contain("not found"));
    }

    [TestCase(0, 30)]
    [TestCase(1, 25)]
    [TestCase(5, 25)]
    [TestCase(6, 20)]
    [TestCase(20, 20)]
    [TestCase(21, 15)]
    public void Uncommitted_changes_lower_the_version_control_points(int changes, int expected)
    {
        var result = QualityScore.Assess(Perfect with { UncommittedChanges = changes }, new SessionActivity(0, 0));
        Assert.That(result.Breakdown.Single(s => s.Name == "version_control").Points, Is.EqualTo(expected));
    }

    [Test]
    public void Git_status_failing_keeps_only_the_repository_points()
    {
        var result = QualityScore.Assess(Perfect with { UncommittedChanges = null }, new SessionActivity(0, 0));
        Assert.That(result.Breakdown[0].Points, Is.EqualTo(15));
    }

    [TestCase(0, 0, 0)]
    [TestCase(1, 0, 3)]
    [TestCase(4, 2, 16)]
    [TestCase(50, 50, 25)]
    public void Activity_counts_messages_and_earlier_checkpoints_up_to_a_cap(long messages, long checkpoints, int expected)
    {
        var result = QualityScore.Assess(WorkingDirectorySignals.Missing, new SessionActivity(messages, checkpoints));
        Assert.That(result.Score, Is.EqualTo(expected));
    }

    [Test]
    public void Docs_points_add_up_from_readme_and_docs()
    {
        var readmeOnly = QualityScore.Assess(new(true, false, null, false, true, false), new(0, 0));
        var docsOnly = QualityScore.Assess(new(true, false, null, false, false, true), new(0, 0));
        Assert.That((readmeOnly.Score, docsOnly.Score), Is.EqualTo((12, 8)));
    }

    [Test]
    public void The_same_inputs_always_give_the_same_score()
    {
        var signals = new WorkingDirectorySignals(true, true, 3, false, true, false);
        var scores = Enumerable.Range(0, 10).Select(_ => QualityScore.Assess(signals, new(2, 1)).Score).Distinct();
        Assert.That(scores, Is.EqualTo(new[] { 25 + 0 + 12 + 8 }));
    }

    [Test]
    public async Task The_probe_reads_git_state_tests_and_docs_from_a_real_directory()
    {
        var dir = Directory.CreateTempSubdirectory("probe-").FullName;
        try
        {
            var probe = new WorkingDirectoryProbe();
            var empty = await probe.ProbeAsync(dir, CancellationToken.None);
            Assert.That(empty, Is.EqualTo(new WorkingDirectorySignals(true, false, null, false, false, false)));

            Directory.CreateDirectory(Path.Combine(dir, "tests"));
            Directory.CreateDirectory(Path.Combine(dir, "docs"));
            await File.WriteAllTextAsync(Path.Combine(dir, "README.md"), "# x");
            await Git(dir, "init", "-q");
            var dirty = await probe.ProbeAsync(dir, CancellationToken.None);
            Assert.That(dirty, Is.EqualTo(new WorkingDirectorySignals(true, true, 1, true, true, true)), "README is untracked (tests/ and docs/ are empty)");

            await Git(dir, "add", "-A");
            await Git(dir, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "init");
            var clean = await probe.ProbeAsync(dir, CancellationToken.None);
            Assert.That(clean.UncommittedChanges, Is.EqualTo(0));
            Assert.That(QualityScore.Assess(clean, new(0, 0)).Score, Is.EqualTo(75));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    internal static async Task Git(string dir, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = System.Diagnostics.Process.Start(psi)!;
        await process.WaitForExitAsync();
        Assert.That(process.ExitCode, Is.EqualTo(0), await process.StandardError.ReadToEndAsync());
    }
}
