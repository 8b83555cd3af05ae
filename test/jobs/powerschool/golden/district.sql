-- Hand-made PowerSchool district for the golden tests of littlesis-roster, clever-demographics
-- and samegoal-demographics. Loaded after POWERSCHOOL_DDL. Every row is here for a reason,
-- written next to it; the expected files beside this one were written by hand from these rows
-- and the rules in jobs-reference.md §1, §2, §4 (not by running the jobs).
--
-- Run instant of the golden runs: 2026-10-15 03:00 America/Chicago (08:00Z), term year 36.

-- Code sets -------------------------------------------------------------------------------------
INSERT INTO codeset (codesetid, codetype, code, displayvalue, description) VALUES
  (100, 'Relationship', 'Mother', 'Mother', NULL),
  (101, 'Relationship', 'Father', 'Father', NULL),
  (102, 'Relationship', 'Guardian', 'Guardian', NULL),
  (103, 'Relationship', 'Grandmother', 'Grandmother', NULL),
  (109, 'Relationship', 'Other', 'Other', NULL),
  (200, 'Phone', 'Home', 'Home', NULL),
  (201, 'Phone', 'Work', 'Work', NULL),
  (202, 'Phone', 'Mobile', 'Mobile', NULL),
  (300, 'Email', 'Current', 'Current', NULL),
  (301, 'Email', 'Work', 'Work', NULL),
  (400, 'Address', 'Home', 'Home', NULL),
  (401, 'Address', 'Mailing', 'Mailing', NULL),
  (500, 'States', 'IL', 'IL', NULL),
  (501, 'States', 'WI', 'WI', NULL),
  (600, 'Language', 'en', 'English', NULL),
  (601, 'Language', 'es', 'Spanish', NULL);

-- Schools: 4 (middle) and 5 (high, the term-year school). School 7 is deliberately missing.
INSERT INTO schools (id, dcid, school_number, name, abbreviation, alternate_school_number, low_grade, high_grade) VALUES
  (1, 101, 4, 'Heritage Middle School', 'HMS', 1001, 6, 8),
  (2, 102, 5, 'Central High School', 'CHS', 1, 9, 12);

-- Terms. Ids repeat across schools (3600 at 4 and at 5); dcid is the key.
-- School 4 has no 3603 (no quarters), so a school-4 student's CC row with termid 3603 must not appear.
INSERT INTO terms (id, dcid, name, abbreviation, firstday, lastday, schoolid, yearid, isyearrec, portion) VALUES
  (3500, 5001, '2025-2026', '25-26', '2025-08-20', '2026-06-04', 5, 35, 1, 1),
  (3600, 5101, '2026-2027', '26-27', '2026-08-19', '2027-06-04', 5, 36, 1, 1),
  (3601, 5102, 'Semester 1', 'S1', '2026-08-19', '2026-12-18', 5, 36, 0, 2),
  (3602, 5103, 'Semester 2', 'S2', '2027-01-05', '2027-06-04', 5, 36, 0, 2),
  (3603, 5104, 'Quarter 1', 'Q1', '2026-08-19', '2026-10-16', 5, 36, 0, 4),
  (3700, 5201, '2027-2028', '27-28', '2027-08-18', '2028-06-02', 5, 37, 1, 1),
  (3500, 4001, '2025-2026', '25-26', '2025-08-21', '2026-06-04', 4, 35, 1, 1),
  (3600, 4101, '2026-2027', '26-27', '2026-08-20', '2027-06-04', 4, 36, 1, 1),
  (3601, 4102, 'Semester 1', 'S1', '2026-08-20', '2026-12-18', 4, 36, 0, 2),
  (3602, 4103, 'Semester 2', 'S2', '2027-01-05', '2027-06-04', 4, 36, 0, 2);

-- Courses: a comma, quotes, accents (windows-1252-safe), one name windows-1252 cannot hold.
-- HIST9 is missing on purpose (course name NULL).
INSERT INTO courses (id, dcid, course_number, course_name, credit_hours, sched_department) VALUES
  (1, 3001, 'ENG9', 'English 9', 1.00, 'ENG'),
  (2, 3002, 'SCI101', 'Biology, Honors', 1.00, 'SCI'),
  (3, 3003, 'MUS200', 'Band "Jazz" Ensemble', 0.50, 'FA'),
  (4, 3004, 'FRE1', 'Français I', 1.00, 'WL'),
  (5, 3005, 'ATT', 'Attendance', 0.00, 'OFF'),
  (6, 3006, 'MATH7', 'Math 7', 1.00, 'MATH'),
  (7, 3007, 'VIET1', 'Tiếng Việt', 1.00, 'WL');

-- Users / staff. O'Brien (user 3) staffs schools 5 and 4 (two SCHOOLSTAFF rows, two TEACHERS
-- rows): joining TEACHERS on users_dcid would double his enrollments. User 2 (office) has no
-- e-mail, user 4 an empty one. Staff id 999 does not exist (orphan CC.teacherid).
INSERT INTO users (dcid, first_name, last_name, email_addr, teachernumber, homeschoolid) VALUES
  (1, 'Ann', 'Smith', 'smith@d118.org', 'T1', 5),
  (2, 'Front', 'Office', NULL, 'T2', 5),
  (3, 'Sean', 'O''Brien', 'obrien@d118.org', 'T3', 5),
  (4, 'Blank', 'Email', '', 'T4', 5),
  (5, 'Marie', 'Dubois', 'dubois@d118.org', 'T5', 4);
INSERT INTO schoolstaff (id, dcid, users_dcid, schoolid, status) VALUES
  (101, 1101, 1, 5, 1),
  (102, 1102, 2, 5, 1),
  (103, 1103, 3, 5, 1),
  (104, 1104, 3, 4, 1),
  (105, 1105, 4, 5, 1),
  (106, 1106, 5, 4, 1);

-- Sections: rooms with a comma, quotes, an accent; one NULL room.
INSERT INTO sections (id, dcid, course_number, section_number, termid, schoolid, teacher, room, expression, maxenrollment) VALUES
  (701, 1701, 'ENG9', '1', 3600, 5, 101, '101', '1(A)', 30),
  (702, 1702, 'SCI101', '2', 3601, 5, 103, 'Lab 2, West Wing', '2(A)', 24),
  (703, 1703, 'MUS200', '1', 3602, 5, 103, 'Band Room "B"', '3(A,C)', 60),
  (704, 1704, 'FRE1', '3', 3600, 5, 101, 'Café', '4(A)', 28),
  (705, 1705, 'ATT', '1', 3600, 5, 102, 'Commons', '0(A)', 500),
  (706, 1706, 'HIST9', '1', 3603, 5, 101, NULL, '5(A)', 30),
  (707, 1707, 'MATH7', '1', 3601, 4, 106, '12', '1(A)', 30),
  (708, 1708, 'VIET1', '1', 3600, 4, 106, '14', '2(A)', 20),
  (709, 1709, 'ENG9', '2', 3500, 5, 101, '101', '1(A)', 30),
  (710, 1710, 'SCI101', '1', 3601, 5, 105, 'Lab 1', '6(A)', 24),
  (711, 1711, 'MUS200', '2', 3601, 5, 103, 'Band Room', '7(A)', 40);

-- Students. 9001 < 10001 numerically but not as text (order must be numeric).
--  10001 Zoë Nguyễn       active, school 5, many cases in CC
--  10002 Liam Garcia, Jr. active, school 5, two races
--   9001 Ava O'Brien      active, school 4, cross-school enrollments
--  10004 Noah Transfer    enroll_status 2: in no file
--  10005 TestStudent      active test record (Clever skips it; the others do not filter names)
--  10006 Mia Noclass      active, no enrollments
--  10007 Ethan Orphan     active, NULL dateleft, orphan teacher
--  10008 Pre Enrolled     enroll_status -1: only when SameGoal exports status -1
--  10009 Sofia User       active test record (last name "User")
--  10010 "Test Student"   active test record (two-word first name)
--  10011 Testy McTestface active, school 7 (not in SCHOOLS, no terms), race code 'n/a'
--  10012 Chloé Kowalski   active, Hispanic code 11
INSERT INTO students (id, dcid, student_number, first_name, middle_name, last_name, dob, gender, grade_level, entrydate, exitdate,
  enroll_status, schoolid, street, city, state, zip, home_phone, state_studentnumber, fedethnicity) VALUES
  (501, 8501, 10001, 'Zoë', 'Marie', 'Nguyễn', '2011-03-14', 'F', 9, '2026-08-19', '2027-06-05', 0, 5, '12 Main St, Apt 4', 'Wauconda', 'IL', '60084', '(847) 555-0101', '900000001', 1),
  (502, 8502, 10002, 'Liam', NULL, 'Garcia, Jr.', '2010-11-02', 'M', 10, '2026-08-19', '2027-06-05', 0, 5, '400 Oak Ave', 'Volo', 'IL', '60073', NULL, '900000002', 0),
  (503, 8503, 9001, 'Ava', 'Grace', 'O''Brien', '2013-05-20', 'F', 7, '2026-08-20', '2027-06-05', 0, 4, '77 Rue Saint-Étienne', 'Lakemoor', 'IL', '60051', NULL, NULL, -1),
  (504, 8504, 10004, 'Noah', NULL, 'Transfer', '2010-01-01', 'M', 10, '2026-08-19', '2026-09-30', 2, 5, '1 Elm St', 'Volo', 'IL', '60073', NULL, '900000004', 0),
  (505, 8505, 10005, 'TestStudent', NULL, 'Account', '2010-01-01', 'M', 9, '2026-08-19', '2027-06-05', 0, 5, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (506, 8506, 10006, 'Mia', NULL, 'Noclass', '2011-07-07', 'F', 9, '2026-08-19', '2027-06-05', 0, 5, '5 Cedar Ln', 'Island Lake', 'IL', '60042', NULL, '900000006', NULL),
  (507, 8507, 10007, 'Ethan', 'J', 'Orphan', '2009-12-31', 'M', 11, '2026-09-14', '2027-06-05', 0, 5, '9 Bonner Rd', 'Wauconda', 'IL', '60084', NULL, '900000007', 1),
  (508, 8508, 10008, 'Pre', NULL, 'Enrolled', '2012-02-02', 'F', 9, '2027-08-18', '2028-06-02', -1, 5, '3 Maple Dr', 'Volo', 'IL', '60073', NULL, '900000008', 0),
  (509, 8509, 10009, 'Sofia', NULL, 'User', '2013-09-09', 'F', 7, '2026-08-20', '2027-06-05', 0, 4, NULL, NULL, NULL, NULL, NULL, NULL, 0),
  (510, 8510, 10010, 'Test Student', NULL, 'Smith', '2010-05-05', 'M', 10, '2026-08-19', '2027-06-05', 0, 5, NULL, NULL, NULL, NULL, NULL, NULL, 0),
  (511, 8511, 10011, 'Testy', NULL, 'McTestface', '2012-12-12', NULL, NULL, '2026-08-24', '2027-06-05', 0, 7, NULL, NULL, NULL, NULL, NULL, NULL, 0),
  (512, 8512, 10012, 'Chloé', NULL, 'Kowalski', '2010-04-04', 'F', 10, '2026-09-01', '2027-06-05', 0, 5, '200 Lakeview Ct', 'Lake Zurich', 'IL', '60047', NULL, '900000012', 1);

INSERT INTO studentrace (id, studentid, racecd) VALUES
  (1, 501, 'W'),
  (2, 502, 'W'),
  (3, 502, 'B'),
  (4, 503, 'A'),
  (5, 507, 'I'),
  (6, 509, 'W'),
  (7, 512, 'W');

-- Illinois race codes: 16 W, 15 P (the original wrote I), ' 013' (blanks, leading zero) A,
-- '0' and '11' give an empty race, 'n/a' is unreadable (student left out).
INSERT INTO s_il_stu_demographics_x (studentsdcid, fer) VALUES
  (8501, '16'),
  (8502, '15'),
  (8503, ' 013'),
  (8504, '14'),
  (8506, '0'),
  (8509, '16'),
  (8511, 'n/a'),
  (8512, '11');

-- LEP: 8503 has two rows (0 and 1) → Y; 8506 a NULL → N; 8507 none → N.
INSERT INTO s_il_stu_x (studentsdcid, lep) VALUES
  (8501, 1),
  (8502, 0),
  (8503, 0),
  (8503, 1),
  (8506, NULL),
  (8511, 0),
  (8512, 1);

-- Values AutoComm last imported (what Clever compares with). 8503, 8505, 8509 have none.
INSERT INTO u_def_ext_students0 (studentsdcid, custom_ethnicity, custom_race, custom_lep) VALUES
  (8501, 'Y', 'W', 'Y'),
  (8502, 'N', 'I', 'N'),
  (8504, 'N', 'W', 'N'),
  (8506, 'N', NULL, 'N'),
  (8507, 'N', NULL, 'N'),
  (8510, 'N', NULL, 'N'),
  (8511, 'N', NULL, 'N'),
  (8512, 'Y', 'W', 'N');

-- Enrollments (cc.id = dcid - 2000).
INSERT INTO cc (id, dcid, studentid, course_number, section_number, termid, schoolid, expression, dateenrolled, dateleft, teacherid, sectionid) VALUES
  -- 10001
  (1, 2001, 501, 'ENG9', '1', 3600, 5, '1(A)', '2026-08-19', '2027-06-05', 101, 701),
  (2, 2002, 501, 'SCI101', '2', 3601, 5, '2(A)', '2026-08-19', '2026-12-19', 103, 702),
  (3, 2003, 501, 'MUS200', '1', 3602, 5, '3(A,C)', '2027-01-05', '2027-06-05', 103, 703),
  (4, 2004, 501, 'FRE1', '3', -3600, 5, '4(A)', '2026-08-19', '2026-09-01', 101, -704),      -- dropped: negative ids
  (5, 2005, 501, 'ATT', '1', 3600, 5, '0(A)', '2026-08-19', '2027-06-05', 102, 705),         -- office teacher: no e-mail
  (6, 2006, 501, 'ENG9', '2', 3500, 5, '1(A)', '2025-08-20', '2026-06-05', 101, 709),        -- last year
  -- 10002
  (7, 2007, 502, 'FRE1', '3', 3600, 5, '4(A)', '2026-08-19', '2027-06-05', 101, 704),
  (8, 2008, 502, 'HIST9', '1', 3603, 5, '5(A)', '2026-08-19', '2026-10-17', 101, 706),       -- no course row, NULL room
  (9, 2009, 502, 'SCI101', '1', 3601, 5, '6(A)', '2026-08-19', '2026-12-19', 105, 710),      -- teacher e-mail ''
  -- 9001 (school 4)
  (10, 2010, 503, 'MATH7', '1', 3601, 4, '1(A)', '2026-08-20', '2026-12-19', 106, 707),
  (11, 2011, 503, 'VIET1', '1', 3600, 4, '2(A)', '2026-08-20', '2027-06-05', 106, 708),
  (12, 2012, 503, 'MUS200', '2', 3601, 5, '7(A)', '2026-08-19', '2026-12-19', 103, 711),    -- at school 5, id 3601 exists at 4: kept
  (13, 2013, 503, 'HIST9', '1', 3603, 5, '5(A)', '2026-08-19', '2026-10-17', 101, 706),     -- at school 5, 3603 not at 4: left out
  -- 10004 (inactive)
  (14, 2014, 504, 'ENG9', '1', 3600, 5, '1(A)', '2026-08-19', '2026-09-30', 101, 701),
  -- 10005 (test record, still in the roster)
  (15, 2015, 505, 'ENG9', '1', 3600, 5, '1(A)', '2026-08-19', '2027-06-05', 101, 701),
  -- 10007
  (16, 2016, 507, 'ENG9', '1', 3600, 5, '1(A)', '2026-09-14', NULL, 101, 701),              -- NULL dateleft
  (17, 2017, 507, 'SCI101', '2', 3601, 5, '2(A)', '2026-09-14', '2026-12-19', 999, 702),    -- no SCHOOLSTAFF 999
  -- 10010
  (18, 2018, 510, 'MUS200', '1', 3602, 5, '3(A,C)', '2027-01-05', '2027-06-05', 103, 703),
  -- 10011 (school 7 has no terms)
  (21, 2021, 511, 'ENG9', '1', 3600, 5, '1(A)', '2026-08-24', '2027-06-05', 101, 701),
  -- 10012
  (19, 2019, 512, 'ENG9', '1', 3600, 5, '1(A)', '2026-09-01', '2027-06-05', 101, 701),
  (20, 2020, 512, 'MUS200', '1', -3602, 5, '3(A,C)', '2026-09-01', '2026-09-10', 103, -703); -- dropped

-- Contacts ---------------------------------------------------------------------------------------
INSERT INTO person (id, dcid, firstname, middlename, lastname, isactive, languagecodesetid) VALUES
  (30001, 40001, 'María', NULL, 'Nguyễn', 1, 601),
  (30002, 40002, 'Tuan', NULL, 'Nguyen', 1, NULL),
  (30003, 40003, 'Rose', NULL, 'Nguyen', 1, NULL),
  (30004, 40004, 'Old', NULL, 'Contact', 1, NULL),
  (30005, 40005, 'Carlos', NULL, 'Garcia, Sr.', 1, 601),
  (30006, 40006, 'Siobhan', NULL, 'O''Brien', 1, 600),
  (30007, 40007, 'Jo "JJ"', NULL, 'Parent', 1, NULL),
  (30008, 40008, 'Ghost', NULL, 'Parent', 1, NULL),
  (30009, 40009, 'Null', NULL, 'Flags', 1, NULL);

INSERT INTO personaddress (personaddressid, street, linetwo, unit, city, statescodesetid, postalcode) VALUES
  (80001, '12 Main St', NULL, 'Apt 4', 'Wauconda', 500, '60084'),
  (80002, '300 Garland Rd', NULL, NULL, 'Volo', 500, '60073'),
  (80003, '1 Prairie Trl', NULL, NULL, 'Volo', 500, '60073'),
  (80004, '400 Oak Ave', 'Rear', NULL, 'Volo', 500, '60073'),
  (80005, '77 Rue Saint-Étienne', NULL, NULL, 'Lakemoor', 500, '60051'),
  (80006, '5 Kenosha Rd', NULL, NULL, 'Kenosha', 501, '53140'),
  (80007, 'PO Box 77', NULL, NULL, 'Wauconda', 500, '60084');
-- Rose has two Home addresses: priority 1 (80003) wins. Null Flags has only a Mailing address.
INSERT INTO personaddressassoc (personaddressassocid, personid, personaddressid, addresstypecodesetid, addresspriorityorder, startdate, enddate) VALUES
  (81001, 30001, 80001, 400, 1, NULL, NULL),
  (81002, 30002, 80001, 400, 1, NULL, NULL),
  (81003, 30003, 80002, 400, 2, NULL, NULL),
  (81004, 30003, 80003, 400, 1, NULL, NULL),
  (81005, 30005, 80004, 400, 1, NULL, NULL),
  (81006, 30006, 80005, 400, 1, NULL, NULL),
  (81007, 30007, 80006, 400, 1, NULL, NULL),
  (81008, 30009, 80007, 401, 1, NULL, NULL);

INSERT INTO phonenumber (phonenumberid, phonenumber, phonenumberext, issms) VALUES
  (82001, '8475550101', NULL, 0),
  (82002, '8475550102', NULL, 0),
  (82003, '8475550103', '12', 0),
  (82004, '8475550104', NULL, 0),
  (82005, '8475550105', NULL, 0),
  (82006, '8475550106', NULL, 0),
  (82007, '2625550107', NULL, 0);
-- Rose has two Home phones: priority 1 (82005) wins. Carlos's number has no as-entered text.
INSERT INTO personphonenumberassoc (personphonenumberassocid, personid, phonenumberid, phonetypecodesetid, phonenumberpriorityorder, ispreferred, phonenumberasentered) VALUES
  (83001, 30001, 82001, 200, 1, 1, '(847) 555-0101'),
  (83002, 30001, 82002, 202, 2, 0, '(847) 555-0102'),
  (83003, 30002, 82003, 201, 1, 1, '(847) 555-0103 x12'),
  (83004, 30003, 82004, 200, 2, 0, '(847) 555-0104'),
  (83005, 30003, 82005, 200, 1, 1, '(847) 555-0105'),
  (83006, 30005, 82006, 202, 1, 1, NULL),
  (83007, 30007, 82007, 200, 1, 1, '(262) 555-0107');

INSERT INTO emailaddress (emailaddressid, emailaddress) VALUES
  (84001, 'maria.nguyen@example.com'),
  (84002, 'tuan.work@example.com'),
  (84003, 'tuan@example.com'),
  (84004, 'carlos@example.com'),
  (84005, 'siobhan@example.com');
-- Tuan: the primary address (priority 2) wins over the non-primary priority 1.
INSERT INTO personemailaddressassoc (personemailaddressassocid, personid, emailaddressid, emailtypecodesetid, isprimaryemailaddress, emailaddresspriorityorder) VALUES
  (85001, 30001, 84001, 300, 1, 1),
  (85002, 30002, 84002, 301, 0, 1),
  (85003, 30002, 84003, 300, 1, 2),
  (85004, 30005, 84004, 300, 1, 1),
  (85005, 30006, 84005, 300, 1, 1);

-- 10001: father has priority 1 but mother and grandmother are emergency contacts, so the order
-- is mother (emergency, custodial), grandmother (emergency), father (custodial). Old Contact's
-- detail is inactive. Siobhan is linked to 9001 and 10006. Jo is linked to 10012 twice (the
-- second link is left out). Ghost belongs to an inactive student. Null Flags has NULL flags,
-- NULL priority and no relationship.
INSERT INTO studentcontactassoc (studentcontactassocid, studentdcid, personid, contactpriorityorder, currreltypecodesetid) VALUES
  (60001, 8501, 30001, 2, 100),
  (60002, 8501, 30002, 1, 101),
  (60003, 8501, 30003, 3, 103),
  (60004, 8501, 30004, 4, 109),
  (60005, 8502, 30005, 1, 101),
  (60006, 8503, 30006, 1, 100),
  (60007, 8506, 30006, 1, 100),
  (60008, 8512, 30007, 1, 102),
  (60009, 8512, 30007, 2, 102),
  (60010, 8504, 30008, 1, 101),
  (60011, 8507, 30009, NULL, NULL);
INSERT INTO studentcontactdetail (studentcontactdetailid, studentcontactassocid, relationshiptypecodesetid, isactive, iscustodial, isemergency,
  liveswithflg, schoolpickupflg, receivesmailflg, startdate, enddate) VALUES
  (70001, 60001, 100, 1, 1, 1, 1, 1, 1, NULL, NULL),
  (70002, 60002, 101, 1, 1, 0, 1, 1, 1, NULL, NULL),
  (70003, 60003, 103, 1, 0, 1, 0, 1, 0, NULL, NULL),
  (70004, 60004, 109, 0, 0, 1, 0, 0, 0, NULL, '2025-06-05'),
  (70005, 60005, 109, 0, 0, 0, 0, 0, 0, '2020-01-01', '2025-06-05'),
  (70006, 60005, 101, 1, 1, 1, 1, 1, 1, NULL, NULL),
  (70007, 60006, 100, 1, 1, 1, 1, 1, 1, NULL, NULL),
  (70008, 60007, 100, 1, 1, 0, 1, 1, 1, NULL, NULL),
  (70009, 60008, 102, 1, 1, 1, 1, 1, 1, NULL, NULL),
  (70010, 60009, 102, 1, 0, 0, 0, 0, 0, NULL, NULL),
  (70011, 60010, 101, 1, 1, 1, 1, 1, 1, NULL, NULL),
  (70012, 60011, NULL, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
