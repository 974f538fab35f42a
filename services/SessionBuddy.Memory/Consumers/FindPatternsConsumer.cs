using SessionBuddy.Memory.Patterns;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Consumers;

/// <summary>find_patterns: ranked by a query, or the most frequent without one.</summary>
public sealed class FindPatternsConsumer(PatternStore patterns) : IConsumer<FindPatterns>
{
    public Task Consume(ConsumeContext<FindPatterns> context) =>
        context.RespondWithAsync(() => patterns.FindAsync(PatternRules.Validate(context.Message), context.CancellationToken));
}
