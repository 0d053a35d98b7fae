//! The timer state machine with synthetic instants: no sleeping, no IO.

use std::time::{Duration, Instant};

use crate::close::CloseCode;
use crate::connection::{Config, Connection, Event, State, Transport};
use crate::role::Role;

const MS: Duration = Duration::from_millis(1);

fn config(keepalive: Option<u64>, idle: Option<u64>, close: u64) -> Config {
    Config {
        keepalive_interval: keepalive.map(Duration::from_millis),
        idle_timeout: idle.map(Duration::from_millis),
        close_timeout: Duration::from_millis(close),
        ..Config::default()
    }
}

/// A connection whose clock starts at the returned instant.
fn start(role: Role, config: Config) -> (Connection, Instant) {
    let t0 = Instant::now();
    let mut conn = Connection::new(role, config);
    conn.set_start_time(t0);
    (conn, t0)
}

/// Moves everything `from` has queued into `to`.
fn shuttle(from: &mut Connection, to: &mut Connection) {
    while let Some(bytes) = from.poll_transmit() {
        to.receive(&bytes);
    }
}

/// Every event `conn` can decode now.
fn events(conn: &mut Connection) -> Vec<Event> {
    let mut out = Vec::new();
    while let Ok(Some(event)) = conn.poll_event() {
        out.push(event);
    }
    out
}

#[test]
fn no_deadline_without_timers() {
    let (conn, _) = start(Role::Server, Config::default());
    assert_eq!(conn.poll_timeout(), None);
    assert!(!conn.needs_time());
}

/// Without `set_start_time` the clock starts at `Connection::new`.
#[test]
fn deadlines_run_from_new() {
    let before = Instant::now();
    let conn = Connection::new(Role::Server, config(Some(100), None, 1000));
    let at = conn.poll_timeout().expect("the keepalive deadline");
    assert!(at >= before + 100 * MS);
}

#[test]
fn rfc6455_5_5_2_keepalive_ping_after_the_interval_and_its_rtt() {
    let (mut server, t0) = start(Role::Server, config(Some(100), None, 1000));
    let mut client = Connection::new(Role::Client, Config::default());
    assert_eq!(server.poll_timeout(), Some(t0 + 100 * MS));
    // Early: nothing happens.
    server.handle_timeout(t0 + 99 * MS);
    assert_eq!(server.transmit_len(), 0);
    server.handle_timeout(t0 + 100 * MS);
    assert!(server.transmit_len() > 0, "a Ping is queued");
    assert_eq!(server.poll_timeout(), Some(t0 + 200 * MS));
    shuttle(&mut server, &mut client);
    assert!(matches!(events(&mut client)[..], [Event::Ping(_)]));
    // The client's automatic Pong comes back 7 ms later.
    shuttle(&mut client, &mut server);
    assert!(matches!(events(&mut server)[..], [Event::Pong(_)]));
    assert!(server.needs_time(), "the Pong wants its arrival time");
    assert_eq!(server.poll_timeout(), Some(t0 + 100 * MS));
    server.handle_timeout(t0 + 107 * MS);
    assert!(!server.needs_time());
    assert_eq!(server.rtt(), Some(7 * MS));
}

#[test]
fn an_unsolicited_pong_measures_nothing() {
    let (mut server, t0) = start(Role::Server, config(Some(100), None, 1000));
    let mut client = Connection::new(Role::Client, Config::default());
    server.handle_timeout(t0 + 100 * MS);
    let _ = server.poll_transmit();
    client.pong(&b"other"[..]).unwrap();
    shuttle(&mut client, &mut server);
    assert!(matches!(events(&mut server)[..], [Event::Pong(_)]));
    assert!(!server.needs_time());
    server.handle_timeout(t0 + 150 * MS);
    assert_eq!(server.rtt(), None);
}

/// Bytes arriving do not read the clock; the deadline is pushed back when
/// it comes (the lazy re-arm), and acted on only after real silence.
#[test]
fn received_bytes_push_the_keepalive_back_lazily() {
    let (mut server, t0) = start(Role::Server, config(Some(100), None, 1000));
    let mut client = Connection::new(Role::Client, Config::default());
    client.send_text("hi").unwrap();
    shuttle(&mut client, &mut server);
    assert!(matches!(events(&mut server)[..], [Event::Text(_)]));
    // The cached deadline did not move (no clock was read) ...
    assert_eq!(server.poll_timeout(), Some(t0 + 100 * MS));
    // ... and when it comes, the bytes count as received then: no Ping.
    server.handle_timeout(t0 + 100 * MS);
    assert_eq!(server.transmit_len(), 0);
    assert_eq!(server.poll_timeout(), Some(t0 + 200 * MS));
    server.handle_timeout(t0 + 200 * MS);
    assert!(server.transmit_len() > 0, "silence since 100 ms: Ping");
}

/// A call when the IO layer goes idle dates the bytes to that wait.
#[test]
fn an_early_call_dates_the_received_bytes() {
    let (mut server, t0) = start(Role::Server, config(None, Some(100), 1000));
    let mut client = Connection::new(Role::Client, Config::default());
    client.send_binary(&b"x"[..]).unwrap();
    shuttle(&mut client, &mut server);
    let _ = events(&mut server);
    server.handle_timeout(t0 + 30 * MS);
    // Still the early deadline; at it, re-armed from 30 ms.
    server.handle_timeout(t0 + 100 * MS);
    assert_eq!(server.state(), State::Open);
    assert_eq!(server.poll_timeout(), Some(t0 + 130 * MS));
}

#[test]
fn idle_peer_gets_close_1001_then_is_dropped_after_the_close_timeout() {
    let (mut server, t0) = start(Role::Server, config(None, Some(100), 50));
    let mut client = Connection::new(Role::Client, Config::default());
    server.handle_timeout(t0 + 100 * MS);
    assert_eq!(server.state(), State::Closing);
    assert_eq!(server.close_sent(), Some(CloseCode::GOING_AWAY));
    shuttle(&mut server, &mut client);
    match &events(&mut client)[..] {
        [Event::Close(Some(frame))] => assert_eq!(frame.code, CloseCode::GOING_AWAY),
        other => panic!("{other:?}"),
    }
    // The client's reply is never delivered.
    assert_eq!(server.poll_timeout(), Some(t0 + 150 * MS));
    server.handle_timeout(t0 + 149 * MS);
    assert!(!server.timed_out());
    server.handle_timeout(t0 + 150 * MS);
    assert!(server.timed_out());
    assert_eq!(server.state(), State::Closed);
    assert_eq!(server.transport(), Transport::Finished);
    assert_eq!(server.poll_timeout(), None);
}

#[test]
fn keepalive_pings_stop_once_closing() {
    let (mut server, t0) = start(Role::Server, config(Some(10), None, 1000));
    server.close(CloseCode::NORMAL, "").unwrap();
    let _ = server.poll_transmit();
    assert!(server.needs_time(), "the closing deadline starts");
    server.handle_timeout(t0 + 20 * MS);
    assert_eq!(server.poll_timeout(), Some(t0 + 1020 * MS));
    server.handle_timeout(t0 + 30 * MS);
    assert_eq!(server.transmit_len(), 0, "no Ping after our Close");
}

/// RFC 6455 §7.1.1: once the handshake is complete the server closes
/// first, and the client waits for the server's EOF.
#[test]
fn rfc6455_7_1_1_server_shuts_down_first_client_awaits_eof() {
    let (mut client, t0) = start(Role::Client, config(None, None, 50));
    let (mut server, _) = start(Role::Server, config(None, None, 50));
    client.close(CloseCode::NORMAL, "bye").unwrap();
    shuttle(&mut client, &mut server);
    assert!(matches!(events(&mut server)[..], [Event::Close(_)]));
    assert_eq!(server.transport(), Transport::ShutDown);
    server.transport_shut_down();
    assert_eq!(server.transport(), Transport::Finished);
    shuttle(&mut server, &mut client);
    assert!(matches!(events(&mut client)[..], [Event::Close(_)]));
    assert_eq!(client.transport(), Transport::AwaitEof);
    client.receive_eof();
    assert_eq!(client.transport(), Transport::Finished);
    assert!(!client.timed_out());
    let _ = t0;
}

/// The client gives up waiting for the server's EOF after the close timeout.
#[test]
fn rfc6455_7_1_1_client_gives_up_waiting_for_the_servers_eof() {
    let (mut client, t0) = start(Role::Client, config(None, None, 50));
    let mut server = Connection::new(Role::Server, Config::default());
    server.close(CloseCode::NORMAL, "").unwrap();
    shuttle(&mut server, &mut client);
    assert!(matches!(events(&mut client)[..], [Event::Close(_)]));
    client.handle_timeout(t0 + 10 * MS);
    assert_eq!(client.transport(), Transport::AwaitEof);
    assert_eq!(client.poll_timeout(), Some(t0 + 60 * MS));
    client.handle_timeout(t0 + 60 * MS);
    assert!(client.timed_out());
    assert_eq!(client.transport(), Transport::Finished);
}

/// RFC 6455 §7.1.7: after failing, the server shuts down first and both
/// roles drain until the peer closes.
#[test]
fn rfc6455_7_1_7_failing_drains_until_eof() {
    for role in [Role::Server, Role::Client] {
        let mut conn = Connection::new(role, Config::default());
        // An unmasked frame for a server, a masked one for a client: wrong either way.
        let frame: &[u8] = match role {
            Role::Server => &[0x82, 0x01, 0x00],
            Role::Client => &[0x82, 0x81, 0, 0, 0, 0, 0x00],
        };
        conn.receive(frame);
        assert!(conn.poll_event().is_err());
        if role == Role::Server {
            assert_eq!(conn.transport(), Transport::ShutDown);
            conn.transport_shut_down();
        }
        assert_eq!(conn.transport(), Transport::AwaitEof);
        conn.receive_eof();
        assert_eq!(conn.transport(), Transport::Finished);
    }
}

#[test]
fn eof_without_close_is_finished_at_once() {
    let mut conn = Connection::new(Role::Server, Config::default());
    assert_eq!(conn.transport(), Transport::Open);
    conn.receive_eof();
    assert!(conn.poll_event().is_err());
    assert_eq!(conn.transport(), Transport::Finished);
}

/// A peer that keeps talking does not postpone the closing deadline.
#[test]
fn received_bytes_do_not_postpone_the_close_deadline() {
    let (mut server, t0) = start(Role::Server, config(None, Some(100), 50));
    let mut client = Connection::new(Role::Client, Config::default());
    server.close(CloseCode::NORMAL, "").unwrap();
    server.handle_timeout(t0);
    for ms in (0..50).step_by(10) {
        client.send_binary(&b"more"[..]).unwrap();
        shuttle(&mut client, &mut server);
        let _ = events(&mut server);
        server.handle_timeout(t0 + ms * MS);
    }
    server.handle_timeout(t0 + 50 * MS);
    assert!(server.timed_out());
}

/// Bytes an IO layer appends to `read_buf` directly count as received too.
#[test]
fn bytes_read_into_read_buf_count_as_received() {
    let (mut server, t0) = start(Role::Server, config(None, Some(100), 1000));
    let mut client = Connection::new(Role::Client, Config::default());
    client.send_text("hi").unwrap();
    let bytes = client.poll_transmit().unwrap();
    server.read_buf().extend_from_slice(&bytes);
    assert!(matches!(events(&mut server)[..], [Event::Text(_)]));
    server.handle_timeout(t0 + 100 * MS);
    assert_eq!(server.state(), State::Open, "not idle: bytes arrived");
}

/// Half a frame that sits in the buffer is received once: asking again
/// and again (every wake-up does) must not keep the peer alive.
#[test]
fn a_stalled_partial_frame_does_not_postpone_the_idle_timeout() {
    let (mut server, t0) = start(Role::Server, config(None, Some(100), 1000));
    let mut client = Connection::new(Role::Client, Config::default());
    client.send_binary(vec![7; 50]).unwrap();
    let bytes = client.poll_transmit().unwrap();
    server.receive(&bytes[..20]);
    assert!(events(&mut server).is_empty());
    server.handle_timeout(t0 + 10 * MS);
    for ms in (20..110).step_by(10) {
        assert!(events(&mut server).is_empty());
        server.handle_timeout(t0 + ms * MS);
    }
    assert_eq!(server.state(), State::Open);
    server.handle_timeout(t0 + 110 * MS);
    assert_eq!(
        server.state(),
        State::Closing,
        "idle since 10 ms: Close 1001"
    );
    assert_eq!(server.close_sent(), Some(CloseCode::GOING_AWAY));
}
