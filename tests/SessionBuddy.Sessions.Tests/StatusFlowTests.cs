using SessionBuddy.Contracts.Sessions;
using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Tests;

public sealed class StatusFlowTests
{
    private const string Created = SessionStatuses.Created, Starting = SessionStatuses.Starting, Running = SessionStatuses.Running,
        Completed = SessionStatuses.Completed, Failed = SessionStatuses.Failed;

    [TestCase(Created, Starting)]
    [TestCase(Created, Running)]
    [TestCase(Created, Failed)]
    [TestCase(Starting, Running)]
    [TestCase(Starting, Failed)]
    [TestCase(Running, Completed)]
    [TestCase(Running, Failed)]
    [TestCase(Running, Running)]
    [TestCase(Completed, Completed)]
    public void Forward_moves_are_allowed(string from, string to) => Assert.That(SessionRules.IsAllowedTransition(from, to), Is.True);

    [TestCase(Created, Completed)]
    [TestCase(Starting, Created)]
    [TestCase(Starting, Completed)]
    [TestCase(Running, Created)]
    [TestCase(Running, Starting)]
    [TestCase(Completed, Running)]
    [TestCase(Completed, Failed)]
    [TestCase(Failed, Running)]
    [TestCase(Failed, Completed)]
    public void Backward_and_skipping_moves_are_refused_naming_status(string from, string to)
    {
        Assert.That(SessionRules.IsAllowedTransition(from, to), Is.False);
        var ex = Assert.Throws<RequestRejectedException>(() => SessionRules.Transition(from, to))!;
        Assert.That(ex.Rejection.Argument, Is.EqualTo("status"));
        Assert.That(ex.Message, Does.Contain($"cannot change a {from} session to {to}"));
    }
}
