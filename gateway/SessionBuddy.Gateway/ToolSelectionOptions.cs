using SessionBuddy.Gateway.Security;

namespace SessionBuddy.Gateway;

/// <summary>
/// Tool selection (configuration section "Tools"): a profile, or an explicit allow-list that overrides it. That every
/// name in the allow-list is a tool is checked at start against the rule table (<see cref="ToolSelectionValidation"/>).
/// </summary>
public sealed class ToolSelectionOptions
{
    public const string SectionName = "Tools";

    public ToolProfile Profile { get; set; } = ToolProfile.Full;

    /// <summary>When not empty, exactly these tools (by name) are enabled.</summary>
    public string[] Allow { get; set; } = [];
}
