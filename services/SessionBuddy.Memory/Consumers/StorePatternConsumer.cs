using SessionBuddy.Memory.Patterns;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Consumers;

/// <summary>store_pattern: new pattern, or another occurrence of a known one.</summary>
public sealed class StorePatternConsumer(PatternStore patterns) : IConsumer<StorePattern>
{
    public Task Consume(ConsumeContext<StorePattern> context) =>
        context.RespondWithAsync(() => patterns.StoreAsync(PatternRules.Validate(context.Message), context.CancellationToken));
}
