namespace SessionBuddy.Sessions.Checkpoints;

/// <summary>What <see cref="WorkingDirectoryProbe"/> found in a session's working directory.</summary>
/// <param name="UncommittedChanges">Lines of <c>git status --porcelain</c>; null when git could not tell.</param>
public sealed record WorkingDirectorySignals(
    bool Exists,
    bool IsGitRepository,
    int? UncommittedChanges,
    bool HasTests,
    bool HasReadme,
    bool HasDocs)
{
    public static readonly WorkingDirectorySignals Missing = new(false, false, null, false, false, false);
}

/// <summary>The session's own activity at the time of the checkpoint.</summary>
public sealed record SessionActivity(long Messages, long PriorCheckpoints);

public sealed record QualityAssessment(int Score, IReadOnlyList<QualitySignal> Breakdown);

/// <summary>
/// The checkpoint quality score: deterministic (same inputs, same score), 0..100, the sum of:
/// <list type="bullet">
/// <item><b>version_control</b> (max 30): 15 when the working directory is a git repository (a <c>.git</c>
///   entry); plus 15 for a clean tree, 10 for 1–5 changed paths, 5 for 6–20, 0 for more (or when
///   <c>git status --porcelain</c> could not run).</item>
/// <item><b>tests</b> (max 25): 25 when tests are present (a <c>test</c>/<c>tests</c>/<c>spec</c>/<c>__tests__</c>
///   directory, or a directory or file whose name contains <c>test</c> within two levels).</item>
/// <item><b>docs</b> (max 20): 12 for a README at the top level; 8 for a <c>docs</c>/<c>doc</c> directory or
///   a CHANGELOG/CONTRIBUTING file.</item>
/// <item><b>activity</b> (max 25): 3 per message up to 5 messages (15); 2 per earlier checkpoint up to 5 (10).</item>
/// </list>
/// A missing working directory scores 0 on its three signals; activity still counts.
/// </summary>
public static class QualityScore
{
    public static QualityAssessment Assess(WorkingDirectorySignals directory, SessionActivity activity)
    {
        var breakdown = new List<QualitySignal>
        {
            VersionControl(directory),
            Tests(directory),
            Docs(directory),
            Activity(activity),
        };
        return new QualityAssessment(breakdown.Sum(s => s.Points), breakdown);
    }

    private static QualitySignal VersionControl(WorkingDirectorySignals d)
    {
        if (!d.IsGitRepository)
        {
            return new("version_control", 0, 30, d.Exists ? "not a git repository" : "working directory not found");
        }
        var (cleanliness, detail) = d.UncommittedChanges switch
        {
            null => (0, "git repository; git status could not run"),
            0 => (15, "git repository, clean working tree"),
            <= 5 and var n => (10, $"git repository, {n} uncommitted path(s)"),
            <= 20 and var n => (5, $"git repository, {n} uncommitted paths"),
            var n => (0, $"git repository, {n} uncommitted paths"),
        };
        return new("version_control", 15 + cleanliness, 30, detail);
    }

    private static QualitySignal Tests(WorkingDirectorySignals d) =>
        d.HasTests ? new("tests", 25, 25, "tests present") : new("tests", 0, 25, "no tests found");

    private static QualitySignal Docs(WorkingDirectorySignals d)
    {
        var points = (d.HasReadme ? 12 : 0) + (d.HasDocs ? 8 : 0);
        var detail = (d.HasReadme, d.HasDocs) switch
        {
            (true, true) => "README and docs present",
            (true, false) => "README present, no docs directory or changelog",
            (false, true) => "docs present, no README",
            _ => "no README or docs",
        };
        return new("docs", points, 20, detail);
    }

    private static QualitySignal Activity(SessionActivity a)
    {
        var messages = (int)Math.Min(a.Messages, 5) * 3;
        var checkpoints = (int)Math.Min(a.PriorCheckpoints, 5) * 2;
        return new("activity", messages + checkpoints, 25, $"{a.Messages} message(s), {a.PriorCheckpoints} earlier checkpoint(s)");
    }
}
