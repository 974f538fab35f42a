using System.Text;
using System.Text.RegularExpressions;

namespace SessionBuddy.Sessions.Lifecycle;

/// <summary>The markdown documents of a session: the handoff written by <c>end</c>, and the markdown export.</summary>
public static partial class SessionMarkdown
{
    public static string Handoff(SessionDetails session, string? endSummary, IReadOnlyList<CheckpointDetails> checkpoints, IReadOnlyList<MessageDetails> messages)
    {
        var last = checkpoints[^1];
        var text = new StringBuilder();
        text.AppendLine($"# Handoff: {session.Name}").AppendLine();
        text.AppendLine($"- Session: `{session.Id}`");
        text.AppendLine($"- Project: {session.Project ?? "(none)"}");
        text.AppendLine($"- Working directory: {session.WorkingDirectory ?? "(none)"}");
        text.AppendLine($"- Messages: {session.MessageCount}, checkpoints: {checkpoints.Count}").AppendLine();

        text.AppendLine("## What was done").AppendLine();
        if (!string.IsNullOrWhiteSpace(endSummary))
        {
            text.AppendLine(endSummary.Trim()).AppendLine();
        }
        foreach (var c in checkpoints.Where(c => !string.IsNullOrWhiteSpace(c.Summary)))
        {
            text.AppendLine($"- Checkpoint {c.Sequence}: {OneLine(c.Summary!)}");
        }
        text.AppendLine();

        text.AppendLine("## Open items").AppendLine();
        var open = OpenItems(endSummary, checkpoints, messages);
        text.AppendLine(open.Count == 0 ? "None recorded." : string.Join(Environment.NewLine, open.Select(o => $"- [ ] {o}"))).AppendLine();

        text.AppendLine("## Last checkpoint").AppendLine();
        text.AppendLine($"Checkpoint {last.Sequence} at {last.CreatedAt:u}: quality **{last.QualityScore}/100**").AppendLine();
        text.AppendLine("| signal | points | detail |").AppendLine("|---|---|---|");
        foreach (var s in last.QualityBreakdown)
        {
            text.AppendLine($"| {s.Name} | {s.Points}/{s.MaxPoints} | {s.Detail} |");
        }
        text.AppendLine();

        text.AppendLine("## Quality trend").AppendLine();
        text.AppendLine(Trend(checkpoints.Select(c => c.QualityScore).ToList()));
        return text.ToString();
    }

    public static string Trend(IReadOnlyList<int> scores)
    {
        if (scores.Count == 0)
        {
            return "No checkpoints.";
        }
        var delta = scores[^1] - scores[0];
        var direction = delta switch { > 0 => "improving", < 0 => "declining", _ => "steady" };
        return $"{string.Join(" → ", scores)} ({direction}, {delta:+0;-0;0} over {scores.Count} checkpoint(s))";
    }

    /// <summary>Open items: lines starting with TODO, FIXME or an unchecked box, in summaries and messages, oldest first.</summary>
    public static IReadOnlyList<string> OpenItems(string? endSummary, IReadOnlyList<CheckpointDetails> checkpoints, IReadOnlyList<MessageDetails> messages)
    {
        var sources = messages.Select(m => m.Content).Concat(checkpoints.Select(c => c.Summary)).Append(endSummary);
        return sources.Where(s => s is not null)
            .SelectMany(s => s!.Split('\n'))
            .Select(l => OpenItem().Match(l))
            .Where(m => m.Success)
            .Select(m => m.Groups["item"].Value.Trim())
            .Where(i => i.Length > 0)
            .Distinct()
            .ToList();
    }

    public static string Export(SessionExportDocument export)
    {
        var session = export.Session;
        var text = new StringBuilder();
        text.AppendLine($"# Session: {session.Name}").AppendLine();
        text.AppendLine($"- Id: `{session.Id}`");
        text.AppendLine($"- Project: {session.Project ?? "(none)"}");
        text.AppendLine($"- Status: {session.Status}");
        text.AppendLine($"- Working directory: {session.WorkingDirectory ?? "(none)"}");
        text.AppendLine($"- Created: {session.CreatedAt:O}");
        text.AppendLine($"- Metadata: `{session.Metadata.GetRawText()}`").AppendLine();
        text.AppendLine("## Messages").AppendLine();
        foreach (var m in export.Messages)
        {
            text.AppendLine($"### {m.Sequence}. {m.Role} ({m.CreatedAt:O})").AppendLine();
            text.AppendLine(m.Content).AppendLine();
        }
        text.AppendLine("## Checkpoints").AppendLine();
        foreach (var c in export.Checkpoints)
        {
            text.AppendLine($"- {c.Sequence}. quality {c.QualityScore}/100 at {c.CreatedAt:O}: {OneLine(c.Summary ?? "(no summary)")}");
        }
        text.AppendLine().AppendLine("## Quality trend").AppendLine();
        text.AppendLine(Trend(export.Checkpoints.Select(c => c.QualityScore).ToList()));
        return text.ToString();
    }

    private static string OneLine(string text) => text.Trim().ReplaceLineEndings(" ");

    [GeneratedRegex(@"^\s*(?:[-*]\s*\[ \]|(?:[-*]\s*)?(?:TODO|FIXME)\b:?)(?<item>.*)$")]
    private static partial Regex OpenItem();
}
