import { describe, expect, it, vi } from "vitest";
import { listing } from "./harness";
import { DesktopNotifications, activityNotice, type NotificationApi } from "./notify";
import { MemoryStorage, message } from "./testing";

const context = { myId: "u-me", hidden: true, roomName: "lobby" };

describe("which activity notifies", () => {
  const before = listing("r", { unread_count: 1, mention_count: 0 });

  it("a new mention of the user in a room, while the tab is hidden", () => {
    const after = { ...before, unread_count: 2, mention_count: 1, last_message: message(2, "u-bob", { content: "@me lunch?" }) };
    expect(activityNotice(before, after, context)).toEqual({
      roomId: "r",
      title: "bob mentioned you in #lobby",
      body: "@me lunch?",
    });
    expect(activityNotice(before, after, { ...context, hidden: false })).toBeNull();
  });

  it("any new message of someone else in a DM; not a plain message in a room", () => {
    const dm = listing("dm", { kind: "dm", unread_count: 0 });
    const after = { ...dm, unread_count: 1, last_message: message(1, "u-bob", { content: "hi" }) };
    expect(activityNotice(dm, after, { ...context, roomName: "Bob" })).toMatchObject({ title: "Bob", body: "hi" });
    const plain = { ...before, unread_count: 2, last_message: message(2, "u-bob") };
    expect(activityNotice(before, plain, context)).toBeNull();
  });

  it("never for our own message, a count that went down, a deleted message or a room just added", () => {
    const dm = listing("dm", { kind: "dm", unread_count: 2 });
    const mine = { ...dm, unread_count: 3, last_message: message(3, "u-me") };
    expect(activityNotice(dm, mine, context)).toBeNull();
    expect(activityNotice(dm, { ...dm, unread_count: 1, last_message: message(3, "u-bob") }, context)).toBeNull();
    const gone = { ...dm, unread_count: 3, last_message: message(3, "u-bob", { deleted: true, content: "" }) };
    expect(activityNotice(dm, gone, context)).toBeNull();
    expect(activityNotice(undefined, { ...dm, unread_count: 3, last_message: message(3) }, context)).toBeNull();
  });

  it("cuts a long message short", () => {
    const dm = listing("dm", { kind: "dm" });
    const long = { ...dm, unread_count: 1, last_message: message(1, "u-bob", { content: "é".repeat(500) }) };
    const notice = activityNotice(dm, long, context);
    expect(Array.from(notice?.body ?? "")).toHaveLength(140);
    expect(notice?.body.endsWith("…")).toBe(true);
  });
});

function fakeApi(initial: NotificationPermission | "unsupported", answer: NotificationPermission = "granted") {
  let permission = initial;
  const api = {
    permission: () => permission,
    requestPermission: vi.fn(async () => {
      permission = answer;
      return answer;
    }),
    show: vi.fn<NotificationApi["show"]>(),
  };
  return api;
}

const notice = { roomId: "r", title: "t", body: "b" };

describe("desktop notifications are opt-in", () => {
  it("never asks on load; asks on the first click, then shows notices until turned off", async () => {
    const api = fakeApi("default");
    const storage = new MemoryStorage();
    const notifications = new DesktopNotifications(api, storage);
    expect(notifications.state()).toBe("off");
    notifications.notify(notice, () => undefined);
    expect(api.requestPermission).not.toHaveBeenCalled();
    expect(api.show).not.toHaveBeenCalled();

    const changed = vi.fn();
    notifications.subscribe(changed);
    await notifications.toggle();
    expect(api.requestPermission).toHaveBeenCalledOnce();
    expect(notifications.state()).toBe("on");
    expect(changed).toHaveBeenCalled();
    const open = vi.fn();
    notifications.notify(notice, open);
    expect(api.show).toHaveBeenCalledOnce();
    api.show.mock.calls[0]?.[1]();
    expect(open).toHaveBeenCalledWith("r");

    // the choice outlives a reload, without asking again
    const reloaded = new DesktopNotifications(api, storage);
    expect(reloaded.state()).toBe("on");
    await reloaded.toggle();
    expect(reloaded.state()).toBe("off");
    reloaded.notify(notice, open);
    expect(api.show).toHaveBeenCalledOnce();
    expect(api.requestPermission).toHaveBeenCalledOnce();
  });

  it("stays off when the user says no, and says blocked or unsupported", async () => {
    const refused = fakeApi("default", "denied");
    const notifications = new DesktopNotifications(refused, null);
    await notifications.toggle();
    expect(notifications.state()).toBe("blocked");
    await notifications.toggle();
    expect(refused.requestPermission).toHaveBeenCalledOnce();
    expect(new DesktopNotifications(fakeApi("unsupported"), null).state()).toBe("unsupported");
  });
});
