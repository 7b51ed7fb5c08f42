//! Descriptor hygiene of the strict reader, in a process of its own so that
//! no other test opens or closes descriptors while the table is counted.
#![allow(clippy::unwrap_used)]

use std::io::IoSlice;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::net::{sendmsg, SendAncillaryBuffer, SendAncillaryMessage, SendFlags};
use workshop_transport::control::{pair, StrictError, MAX_MESSAGE_BYTES};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn descriptors_are_refused_and_closed() {
    let (broker, r) = pair().unwrap();
    let mut buf = Box::new([0u8; MAX_MESSAGE_BYTES]);
    let before = open_fds();
    for n in [1usize, 2, 64, 253] {
        for _round in 0..20 {
            let dups: Vec<OwnedFd> = (0..n).map(|_| r.try_clone().unwrap()).collect();
            let borrowed: Vec<BorrowedFd<'_>> = dups.iter().map(|f| f.as_fd()).collect();
            let mut space = vec![MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(253))];
            let mut anc = SendAncillaryBuffer::new(&mut space);
            assert!(anc.push(SendAncillaryMessage::ScmRights(&borrowed)));
            sendmsg(&r, &[IoSlice::new(b"x")], &mut anc, SendFlags::empty()).unwrap();
            drop(dups);
            match broker.recv_strict(&mut buf) {
                Err(StrictError::FdsAttached { count }) => assert!(count >= 1),
                Err(StrictError::ControlTruncated) => {}
                other => panic!("{n}: {other:?}"),
            }
        }
    }
    assert_eq!(open_fds(), before, "received descriptors leaked");
}
