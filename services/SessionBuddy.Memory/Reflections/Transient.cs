using Npgsql;

namespace SessionBuddy.Memory.Reflections;

/// <summary>
/// Retries a statement that lost a deadlock or serialization race. Writers touch shared BM25 statistic
/// rows; ordering makes deadlocks rare, a retry makes them harmless.
/// </summary>
internal static class Transient
{
    public static async Task<T> RetryAsync<T>(Func<Task<T>> action, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await action();
            }
            catch (PostgresException ex) when (attempt < 5 && ex.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(10 * attempt * Random.Shared.Next(1, 5)), cancellationToken);
            }
        }
    }
}
